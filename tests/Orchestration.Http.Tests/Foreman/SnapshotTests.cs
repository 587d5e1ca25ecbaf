using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;
using Snapshooter.NUnit;

namespace Orchestration.Http.Tests.Foreman;

/// <summary>The JSON shapes on the wire, pinned. A changed snapshot is a changed contract: check it against the families' API references.</summary>
public sealed class SnapshotTests(ApiBackend backend) : ApiFixture(backend)
{
    private static void Match(JsonNode? body) => Snapshot.Match(SnapshotJson.Normalise(body));

    // The status code is part of the contract the snapshot pins, so it is checked before the body is.
    private static JsonNode? Expect(HttpStatusCode status, (HttpStatusCode Status, JsonNode? Json, HttpResponseMessage Response) response)
    {
        Assert.That(response.Status, Is.EqualTo(status), response.Json?.ToJsonString());
        return response.Json;
    }

    [Test]
    public async Task Run_Created_MatchesSnapshot()
    {
        var t = await NewTenantAsync();
        var run = Expect(HttpStatusCode.Created, await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = new { orderId = "order-123" }, metadata = new { source = "snapshot" } }));
        Match(run);
    }

    [Test]
    public async Task Run_UpdatedWithTasks_MatchesSnapshot()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var task = await CreateTaskAsync(t.Client, run);
        await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { status = "completed" });
        var updated = Expect(HttpStatusCode.OK, await t.Client.PatchJsonAsync($"/api/v1/runs/{run}", new { status = "completed", outputData = new { total = 42 }, errorData = (object?)null }));
        Match(updated);
    }

    [Test]
    public async Task Task_CompletedAfterRunning_MatchesSnapshot()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var task = await CreateTaskAsync(t.Client, run);
        await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { status = "running", queueJobId = "bull-7" });
        Factory.Time.Advance(TimeSpan.FromMilliseconds(250));
        var done = Expect(HttpStatusCode.OK, await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { status = "completed", outputData = new { ok = true } }));
        Match(done);
    }

    [Test]
    public async Task RunList_Envelope_MatchesSnapshot()
    {
        var t = await NewTenantAsync();
        await CreateRunAsync(t.Client);
        var list = Expect(HttpStatusCode.OK, await t.Client.GetJsonAsync("/api/v1/runs?limit=5"));
        Match(list);
    }

    [Test]
    public async Task TaskList_Envelope_MatchesSnapshot()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        await CreateTaskAsync(t.Client, run);
        var list = Expect(HttpStatusCode.OK, await t.Client.GetJsonAsync($"/api/v1/tasks?runId={run}"));
        Match(list);
    }

    [Test]
    public async Task RunData_EntryListAndDelete_MatchSnapshot()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var task = await CreateTaskAsync(t.Client, run);
        var entry = Expect(HttpStatusCode.Created, await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data",
            new { taskId = task, key = "customer-data", value = new { customerId = "123" }, tags = new[] { "validated", "v1.0" }, metadata = new { m = 1 } }));
        var list = Expect(HttpStatusCode.OK, await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data?tags=validated"));
        var deleted = Expect(HttpStatusCode.OK, await t.Client.DeleteJsonAsync($"/api/v1/runs/{run}/data?key=customer-data"));
        Match(new JsonObject { ["entry"] = entry?.DeepClone(), ["list"] = list?.DeepClone(), ["delete"] = deleted?.DeepClone() });
    }

    [Test]
    public async Task Errors_ValidationAuthAndNotFound_MatchSnapshot()
    {
        var t = await NewTenantAsync("runs:read");
        using var anonymous = Factory.Anonymous();
        var validation = Expect(HttpStatusCode.BadRequest, await Admin.PostJsonAsync("/api/v1/tasks", new { maxRetries = 99 }));
        var unauthorized = Expect(HttpStatusCode.Unauthorized, await anonymous.GetJsonAsync("/api/v1/runs"));
        var forbidden = Expect(HttpStatusCode.Forbidden, await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = 1 }));
        var notFound = Expect(HttpStatusCode.NotFound, await t.Client.GetJsonAsync($"/api/v1/runs/{Guid.NewGuid()}"));
        var malformed = Expect(HttpStatusCode.BadRequest, await Admin.PostJsonAsync("/api/v1/runs", "{oops"));
        Match(new JsonObject
        {
            ["400"] = validation?.DeepClone(),
            ["400-malformed"] = malformed?.DeepClone(),
            ["401"] = unauthorized?.DeepClone(),
            ["403"] = forbidden?.DeepClone(),
            ["404"] = notFound?.DeepClone(),
        });
    }

    [Test]
    public async Task Admin_OrgKeyAndList_MatchSnapshot()
    {
        var org = Expect(HttpStatusCode.Created, await Admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "acme" }));
        var key = Expect(HttpStatusCode.Created, await Admin.PostJsonAsync("/api/v1/admin/api-keys",
            new { orgId = org.Str("id"), name = "worker", permissions = new[] { "runs:*", "tasks:*" }, rateLimit = new { limit = 50, windowSeconds = 60 } }));
        var list = Expect(HttpStatusCode.OK, await Admin.GetJsonAsync($"/api/v1/admin/api-keys?orgId={org.Str("id")}"));
        Match(new JsonObject { ["org"] = org?.DeepClone(), ["createdKey"] = key?.DeepClone(), ["list"] = list?.DeepClone() });
    }

    [Test]
    public async Task Health_MatchesSnapshot()
    {
        using var anonymous = Factory.Anonymous();
        var health = Expect(HttpStatusCode.OK, await anonymous.GetJsonAsync("/api/v1/health"));
        Match(health);
    }
}
