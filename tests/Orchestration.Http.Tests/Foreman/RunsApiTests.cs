using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Foreman;

public sealed class RunsApiTests(ApiBackend backend) : ApiFixture(backend)
{
    [Test]
    public async Task CreateRun_ValidBody_Returns201WithPendingOpenRun()
    {
        var t = await NewTenantAsync();
        var (status, run, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = new { orderId = "order-123" }, metadata = new { source = "test" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(run.Str("status"), Is.EqualTo("pending"));
        Assert.That(run.Str("orgId"), Is.EqualTo(t.OrgId));
        Assert.That(run!["inputData"]!["orderId"]!.GetValue<string>(), Is.EqualTo("order-123"));
        Assert.That(run["metadata"]!["source"]!.GetValue<string>(), Is.EqualTo("test"));
        Assert.That(run["totalTasks"]!.GetValue<int>(), Is.Zero);
    }

    [Test]
    public async Task CreateRun_MissingInputData_Returns400WithDetails()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { metadata = new { } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Is.Not.Empty);
        Assert.That(body!["details"]![0]!["field"]!.GetValue<string>(), Is.EqualTo("inputData"));
    }

    [Test]
    public async Task CreateRun_WithoutRunsCreate_Returns403()
    {
        var t = await NewTenantAsync("runs:read");
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = 1 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(body.Str("error"), Does.Contain("runs:create"));
    }

    [Test]
    public async Task GetRun_Existing_ReturnsRun()
    {
        var t = await NewTenantAsync();
        var id = await CreateRunAsync(t.Client);
        var (status, run, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{id}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(run.Str("id"), Is.EqualTo(id));
    }

    [Test]
    public async Task GetRun_Unknown_Returns404WithError()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{Guid.NewGuid()}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(body.Str("error"), Is.EqualTo("Run not found"));
    }

    [Test]
    public async Task UpdateRun_StatusAndOutput_AppliesAndSetsTimes()
    {
        var t = await NewTenantAsync();
        var id = await CreateRunAsync(t.Client);

        var (s1, running, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{id}", new { status = "running" });
        var (s2, done, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{id}", new { status = "completed", outputData = new { ok = true }, metadata = new { v = 2 } });

        Assert.That(s1, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(running.Str("status"), Is.EqualTo("running"));
        Assert.That(running!["startedAt"], Is.Not.Null);
        Assert.That(s2, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(done.Str("status"), Is.EqualTo("completed"));
        Assert.That(done!["outputData"]!["ok"]!.GetValue<bool>(), Is.True);
        Assert.That(done["metadata"]!["v"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(done["completedAt"], Is.Not.Null);
    }

    [Test]
    public async Task UpdateRun_UnknownStatus_Returns400()
    {
        var t = await NewTenantAsync();
        var id = await CreateRunAsync(t.Client);
        var (status, body, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{id}", new { status = "exploded" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0]!["field"]!.GetValue<string>(), Is.EqualTo("status"));
    }

    [Test]
    public async Task UpdateRun_Unknown_Returns404()
    {
        var t = await NewTenantAsync();
        var (status, _, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{Guid.NewGuid()}", new { status = "running" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task UpdateRun_WithoutRunsUpdate_Returns403()
    {
        var t = await NewTenantAsync("runs:create", "runs:read");
        var id = await CreateRunAsync(t.Client);
        var (status, _, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{id}", new { status = "running" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task ListRuns_PagingAndStatusFilter_ReturnsEnvelope()
    {
        var t = await NewTenantAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await CreateRunAsync(t.Client, new { i }));
            Factory.Time.Advance(TimeSpan.FromSeconds(1));
        }

        await t.Client.PatchJsonAsync($"/api/v1/runs/{ids[0]}", new { status = "running" });

        var (status, page, _) = await t.Client.GetJsonAsync("/api/v1/runs?limit=2&offset=0&sortBy=created_at&sortOrder=desc");
        var (_, asc, _) = await t.Client.GetJsonAsync("/api/v1/runs?sortOrder=asc");
        var (_, running, _) = await t.Client.GetJsonAsync("/api/v1/runs?status=running");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page!["total"]!.GetValue<int>(), Is.EqualTo(3));
        Assert.That(page["limit"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(page["offset"]!.GetValue<int>(), Is.Zero);
        Assert.That(page["items"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { ids[2], ids[1] }));
        Assert.That(asc!["items"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(ids));
        Assert.That(running!["items"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { ids[0] }));
    }

    [TestCase("status=bogus")]
    [TestCase("sortBy=color")]
    [TestCase("sortOrder=sideways")]
    [TestCase("limit=abc")]
    [TestCase("offset=-1")]
    public async Task ListRuns_BadQuery_Returns400(string query)
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.GetJsonAsync("/api/v1/runs?" + query);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Is.Not.Empty);
    }

    [Test]
    public async Task RunCounters_TasksChangeStatus_StayTrue()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var a = await CreateTaskAsync(t.Client, run);
        var b = await CreateTaskAsync(t.Client, run);
        await CreateTaskAsync(t.Client, run);

        await t.Client.PatchJsonAsync($"/api/v1/tasks/{a}", new { status = "completed" });
        await t.Client.PatchJsonAsync($"/api/v1/tasks/{b}", new { status = "failed", errorData = new { message = "boom" } });
        var (_, body, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}");

        Assert.That(body!["totalTasks"]!.GetValue<int>(), Is.EqualTo(3));
        Assert.That(body["completedTasks"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(body["failedTasks"]!.GetValue<int>(), Is.EqualTo(1));
    }
}
