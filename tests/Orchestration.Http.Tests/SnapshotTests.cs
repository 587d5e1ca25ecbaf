using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;
using Snapshooter.NUnit;

namespace Orchestration.Http.Tests;

/// <summary>The JSON shapes on the wire, pinned. A changed snapshot is a changed contract: check it against the seeds.</summary>
public sealed class SnapshotTests(ApiBackend backend) : ApiFixture(backend)
{
    private static void Match(JsonNode? body) => Snapshot.Match(SnapshotJson.Normalise(body));

    [Test]
    public async Task Run_Created_MatchesSnapshot()
    {
        var t = await NewTenantAsync();
        var (_, run, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = new { orderId = "order-123" }, metadata = new { source = "snapshot" } });
        Match(run);
    }

    [Test]
    public async Task Run_UpdatedWithTasks_MatchesSnapshot()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var task = await CreateTaskAsync(t.Client, run);
        await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { status = "completed" });
        var (_, updated, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{run}", new { status = "completed", outputData = new { total = 42 }, errorData = (object?)null });
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
        var (_, done, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { status = "completed", outputData = new { ok = true } });
        Match(done);
    }

    [Test]
    public async Task RunList_Envelope_MatchesSnapshot()
    {
        var t = await NewTenantAsync();
        await CreateRunAsync(t.Client);
        var (_, list, _) = await t.Client.GetJsonAsync("/api/v1/runs?limit=5");
        Match(list);
    }

    [Test]
    public async Task TaskList_Envelope_MatchesSnapshot()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        await CreateTaskAsync(t.Client, run);
        var (_, list, _) = await t.Client.GetJsonAsync($"/api/v1/tasks?runId={run}");
        Match(list);
    }

    [Test]
    public async Task RunData_EntryListAndDelete_MatchSnapshot()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var task = await CreateTaskAsync(t.Client, run);
        var (_, entry, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data",
            new { taskId = task, key = "customer-data", value = new { customerId = "123" }, tags = new[] { "validated", "v1.0" }, metadata = new { m = 1 } });
        var (_, list, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data?tags=validated");
        var (_, deleted, _) = await t.Client.DeleteJsonAsync($"/api/v1/runs/{run}/data?key=customer-data");
        Match(new JsonObject { ["entry"] = entry?.DeepClone(), ["list"] = list?.DeepClone(), ["delete"] = deleted?.DeepClone() });
    }

    [Test]
    public async Task Errors_ValidationAuthAndNotFound_MatchSnapshot()
    {
        var t = await NewTenantAsync("runs:read");
        using var anonymous = Factory.Anonymous();
        var (_, validation, _) = await Admin.PostJsonAsync("/api/v1/tasks", new { maxRetries = 99 });
        var (_, unauthorized, _) = await anonymous.GetJsonAsync("/api/v1/runs");
        var (_, forbidden, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = 1 });
        var (_, notFound, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{Guid.NewGuid()}");
        var (_, malformed, _) = await Admin.PostJsonAsync("/api/v1/runs", "{oops");
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
        var (_, org, _) = await Admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "acme" });
        var (_, key, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys",
            new { orgId = org.Str("id"), name = "worker", permissions = new[] { "runs:*", "tasks:*" }, rateLimit = new { limit = 50, windowSeconds = 60 } });
        var (_, list, _) = await Admin.GetJsonAsync($"/api/v1/admin/api-keys?orgId={org.Str("id")}");
        Match(new JsonObject { ["org"] = org?.DeepClone(), ["createdKey"] = key?.DeepClone(), ["list"] = list?.DeepClone() });
    }

    [Test]
    public async Task Health_MatchesSnapshot()
    {
        using var anonymous = Factory.Anonymous();
        var (_, health, _) = await anonymous.GetJsonAsync("/api/v1/health");
        Match(health);
    }
}
