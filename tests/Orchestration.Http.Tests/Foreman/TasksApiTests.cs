using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Foreman;

public sealed class TasksApiTests(ApiBackend backend) : ApiFixture(backend)
{
    [Test]
    public async Task CreateTask_ValidBody_Returns201PendingWithDefaults()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var (status, task, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run, type = "process-order", inputData = new { action = "validate" }, metadata = new { m = 1 } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(task.Str("status"), Is.EqualTo("pending"));
        Assert.That(task.Str("runId"), Is.EqualTo(run));
        Assert.That(task.Str("orgId"), Is.EqualTo(t.OrgId));
        Assert.That(task.Str("type"), Is.EqualTo("process-order"));
        Assert.That(task!["maxRetries"]!.GetValue<int>(), Is.EqualTo(3));
        Assert.That(task["retryCount"]!.GetValue<int>(), Is.Zero);
        Assert.That(task["inputData"]!["action"]!.GetValue<string>(), Is.EqualTo("validate"));
        Assert.That(task["durationMs"], Is.Null);
    }

    [Test]
    public async Task CreateTask_WithParentAndMaxRetries_KeepsThem()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var parent = await CreateTaskAsync(t.Client, run);
        var (status, task, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run, parentTaskId = parent, type = "child", maxRetries = 0 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(task.Str("parentTaskId"), Is.EqualTo(parent));
        Assert.That(task!["maxRetries"]!.GetValue<int>(), Is.Zero);
    }

    [Test]
    public async Task CreateTask_ParentOfAnotherRun_Returns400()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var otherRun = await CreateRunAsync(t.Client);
        var parent = await CreateTaskAsync(t.Client, otherRun);
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run, parentTaskId = parent, type = "child" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0]!["field"]!.GetValue<string>(), Is.EqualTo("parentTaskId"));
    }

    [Test]
    public async Task CreateTask_UnknownRun_Returns404()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = Guid.NewGuid(), type = "x" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(body.Str("error"), Is.EqualTo("Run not found"));
    }

    [TestCase(-1)]
    [TestCase(11)]
    public async Task CreateTask_MaxRetriesOutOfRange_Returns400(int maxRetries)
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run, type = "x", maxRetries });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0]!["field"]!.GetValue<string>(), Is.EqualTo("maxRetries"));
    }

    [Test]
    public async Task CreateTask_MissingRunIdAndType_Returns400ListingBoth()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { inputData = 1 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]!.AsArray().Select(d => d.Str("field")), Is.EquivalentTo(new[] { "runId", "type" }));
    }

    [Test]
    public async Task CreateTask_WithoutTasksCreate_Returns403()
    {
        var t = await NewTenantAsync("runs:*", "tasks:read");
        var run = await CreateRunAsync(t.Client);
        var (status, _, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run, type = "x" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task GetTask_Unknown_Returns404()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.GetJsonAsync($"/api/v1/tasks/{Guid.NewGuid()}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(body.Str("error"), Is.EqualTo("Task not found"));
    }

    [Test]
    public async Task UpdateTask_ForemanReferenceWorkflow_SetsTimesAndDuration()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var id = await CreateTaskAsync(t.Client, run);

        var (s1, running, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{id}", new { status = "running", queueJobId = "bull-42" });
        Factory.Time.Advance(TimeSpan.FromMilliseconds(1234));
        var (s2, done, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{id}", new { status = "completed", outputData = new { result = "ok" }, metadata = new { worker = "w1" } });
        var (_, fetched, _) = await t.Client.GetJsonAsync($"/api/v1/tasks/{id}");

        Assert.That(s1, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(running!["startedAt"], Is.Not.Null);
        Assert.That(running["completedAt"], Is.Null);
        Assert.That(s2, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(fetched.Str("status"), Is.EqualTo("completed"));
        Assert.That(fetched.Str("queueJobId"), Is.EqualTo("bull-42"));
        Assert.That(fetched!["outputData"]!["result"]!.GetValue<string>(), Is.EqualTo("ok"));
        Assert.That(fetched["metadata"]!["worker"]!.GetValue<string>(), Is.EqualTo("w1"));
        Assert.That(fetched["completedAt"], Is.Not.Null);
        Assert.That(fetched["durationMs"]!.GetValue<long>(), Is.EqualTo(1234));
        Assert.That(done.Str("status"), Is.EqualTo("completed"));
    }

    [Test]
    public async Task UpdateTask_UnknownStatus_Returns400()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var id = await CreateTaskAsync(t.Client, run);
        var (status, _, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{id}", new { status = "done-ish" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task UpdateTask_Unknown_Returns404()
    {
        var t = await NewTenantAsync();
        var (status, _, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{Guid.NewGuid()}", new { status = "running" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task UpdateTask_WithoutTasksUpdate_Returns403()
    {
        var t = await NewTenantAsync("runs:*", "tasks:create", "tasks:read");
        var run = await CreateRunAsync(t.Client);
        var id = await CreateTaskAsync(t.Client, run);
        var (status, _, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{id}", new { status = "running" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task ListTasks_ByRunAndStatus_ReturnsEnvelope()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var other = await CreateRunAsync(t.Client);
        var a = await CreateTaskAsync(t.Client, run);
        var b = await CreateTaskAsync(t.Client, run);
        var c = await CreateTaskAsync(t.Client, other);
        await t.Client.PatchJsonAsync($"/api/v1/tasks/{b}", new { status = "running" });

        var (status, byRun, _) = await t.Client.GetJsonAsync($"/api/v1/tasks?runId={run}");
        var (_, running, _) = await t.Client.GetJsonAsync($"/api/v1/tasks?runId={run}&status=running");
        var (_, all, _) = await t.Client.GetJsonAsync("/api/v1/tasks?limit=2&offset=1");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(byRun!["items"]!.AsArray().Select(x => x.Str("id")), Is.EqualTo(new[] { a, b }));
        Assert.That(byRun["total"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(running!["items"]!.AsArray().Select(x => x.Str("id")), Is.EqualTo(new[] { b }));
        Assert.That(all!["total"]!.GetValue<int>(), Is.EqualTo(3));
        Assert.That(all["limit"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(all["offset"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(all["items"]!.AsArray().Select(x => x.Str("id")), Is.EqualTo(new[] { b, c }));
    }

    [TestCase("runId=not-a-uuid")]
    [TestCase("status=bogus")]
    [TestCase("limit=0")]
    public async Task ListTasks_BadQuery_Returns400(string query)
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.GetJsonAsync("/api/v1/tasks?" + query);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Is.Not.Empty);
    }
}
