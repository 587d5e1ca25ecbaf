using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;
using Orchestration.Http.Tests.Infrastructure;
using Snapshooter.NUnit;

namespace Orchestration.Http.Tests.Workflows;

/// <summary>
/// Workflows belong to their org and to the workflows family: other orgs and the other families answer 404 for them,
/// and the workflows API answers 404 for the others' runs. <c>GET /api/v1/tasks/{id}</c> is the one shared path.
/// </summary>
public sealed class WorkflowIsolationTests(ApiBackend backend) : WorkflowsFixture(backend)
{
    private static object Pending(string name = "w") => new
    {
        name,
        tasks = new object[]
        {
            new { name = "first", type = "report", payload = new { secret = "s3cr3t" }, priority = 5 },
            new { name = "second", type = "report", dependencies = new[] { "first" } },
        },
    };

    [Test]
    public async Task WorkflowPaths_AnotherOrgsWorkflow_Return404AndListWithoutIt()
    {
        var owner = await NewTenantAsync();
        var other = await NewTenantAsync();
        var workflow = await CreateAsync(owner.Client, Pending());
        var id = workflow.Str("id");
        var taskId = workflow["tasks"]![0].Str("id");

        var (get, _, _) = await other.Client.GetJsonAsync($"/api/v1/workflows/{id}");
        var (tasks, _, _) = await other.Client.GetJsonAsync($"/api/v1/workflows/{id}/tasks");
        var (cancel, _, _) = await other.Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{id}/cancel");
        var (task, _, _) = await other.Client.GetJsonAsync($"/api/v1/tasks/{taskId}");
        var (_, list, _) = await other.Client.GetJsonAsync("/api/v1/workflows");

        Assert.That((get, tasks, cancel, task), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(list!["total"]!.GetValue<int>(), Is.Zero);
        var (_, mine, _) = await owner.Client.GetJsonAsync($"/api/v1/workflows/{id}");
        Assert.That(mine.Str("status"), Is.EqualTo("pending"), "the other org's cancel changed it");
    }

    [Test]
    public async Task WorkflowPaths_ForemanRunAndJob_Return404AndOthersPathsReturn404ForWorkflows()
    {
        var t = await NewTenantAsync();
        var workflow = await CreateAsync(t.Client, Pending());
        var workflowId = workflow.Str("id");
        var workflowTask = workflow["tasks"]![0].Str("id");
        var (_, run, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = new { x = 1 } });
        var (_, job, _) = await t.Client.PostJsonAsync("/api/v1/jobs", new { type = "j", binary_url = "https://example.com/b", binary_sha256 = new string('a', 64) });

        foreach (var foreign in new[] { run.Str("id"), job.Str("id") })
        {
            var (get, _, _) = await t.Client.GetJsonAsync($"/api/v1/workflows/{foreign}");
            var (tasks, _, _) = await t.Client.GetJsonAsync($"/api/v1/workflows/{foreign}/tasks");
            var (cancel, _, _) = await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{foreign}/cancel");
            Assert.That((get, tasks, cancel), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound)), foreign);
        }

        var (runGet, _, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{workflowId}");
        var (runPatch, _, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{workflowId}", new { status = "cancelled" });
        var (jobGet, _, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{workflowId}");
        var (jobCancel, _, _) = await t.Client.DeleteJsonAsync($"/api/v1/jobs/{workflowId}");
        var (_, runList, _) = await t.Client.GetJsonAsync("/api/v1/runs");
        var (_, workflowList, _) = await t.Client.GetJsonAsync("/api/v1/workflows");

        Assert.That((runGet, runPatch, jobGet, jobCancel), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(runList!["items"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { run.Str("id") }));
        Assert.That(workflowList!["workflows"]!.AsArray().Select(w => w.Str("id")), Is.EqualTo(new[] { workflowId }));
        var (_, after, _) = await t.Client.GetJsonAsync($"/api/v1/tasks/{workflowTask}");
        Assert.That(after.Str("status"), Is.EqualTo("pending"));
    }

    [Test]
    public async Task ForemanTaskWrites_OnAWorkflowsTasks_Return404AndChangeNothing()
    {
        var t = await NewTenantAsync();
        var workflow = await CreateAsync(t.Client, Pending());
        var taskId = workflow["tasks"]![0].Str("id");

        var (complete, completeBody, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{taskId}", new { status = "completed", outputData = new { forged = true } });
        var (cancel, _, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{taskId}", new { status = "cancelled" });
        var (add, _, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = workflow.Str("id"), type = "x" });
        var (_, foremanList, _) = await t.Client.GetJsonAsync($"/api/v1/tasks?runId={workflow.Str("id")}");

        Assert.That((complete, cancel, add), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(completeBody.Str("error"), Is.EqualTo("Task not found"));
        Assert.That(foremanList!["items"]!.AsArray(), Is.Empty);
        var (_, tasks, _) = await t.Client.GetJsonAsync($"/api/v1/workflows/{workflow.Str("id")}/tasks");
        Assert.That(tasks!["tasks"]!.AsArray().Select(x => x.Str("status")), Is.All.EqualTo("pending"));
        Assert.That(tasks["tasks"]!.AsArray(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task GetTask_WorkflowsTask_ReturnsForemanFieldsPlusFlowCtlFields()
    {
        var t = await NewTenantAsync();
        var workflow = await CreateAsync(t.Client, Pending());
        var taskId = workflow["tasks"]![1].Str("id");

        var (status, task, _) = await t.Client.GetJsonAsync($"/api/v1/tasks/{taskId}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(task.Str("workflow_id"), Is.EqualTo(workflow.Str("id")));
        Assert.That(task.Str("runId"), Is.EqualTo(workflow.Str("id")));
        Assert.That(task.Str("name"), Is.EqualTo("second"));
        Assert.That(task!["dependencies"]!.ToJsonString(), Is.EqualTo("""["first"]"""));
        Assert.That((task["max_retries"]!.GetValue<int>(), task["maxRetries"]!.GetValue<int>()), Is.EqualTo((3, 3)));
        Assert.That(task.Str("status"), Is.EqualTo("pending"), "FlowCtl's status name wins for a workflow's task");
        Snapshot.Match(SnapshotJson.Normalise(task));
    }

    [Test]
    public async Task GetTask_ForemanTask_KeepsForemansShapeWithoutFlowCtlFields()
    {
        var t = await NewTenantAsync();
        var (_, run, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = new { x = 1 } });
        var (_, created, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run.Str("id"), type = "process" });

        var (status, task, _) = await t.Client.GetJsonAsync($"/api/v1/tasks/{created.Str("id")}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(task!.ToJsonString(), Is.EqualTo(created!.ToJsonString()));
        Assert.That(task.AsObject().ContainsKey("workflow_id"), Is.False);
    }

    [Test]
    public async Task GetTask_FamilyPermissions_EachKeySeesOnlyItsFamilysTasks()
    {
        var t = await NewTenantAsync();
        var workflowsKey = await KeyAsync(t.OrgId, ["workflows:*"]);
        var foremanKey = await KeyAsync(t.OrgId, ["runs:*", "tasks:*"]);
        var jobsKey = await KeyAsync(t.OrgId, ["jobs:*"]);
        var workflowTask = (await CreateAsync(t.Client, Pending()))["tasks"]![0].Str("id");
        var (_, run, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = new { x = 1 } });
        var (_, foremanTask, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run.Str("id"), type = "process" });

        var (wOwn, _, _) = await workflowsKey.GetJsonAsync($"/api/v1/tasks/{workflowTask}");
        var (wForeign, _, _) = await workflowsKey.GetJsonAsync($"/api/v1/tasks/{foremanTask.Str("id")}");
        var (fOwn, _, _) = await foremanKey.GetJsonAsync($"/api/v1/tasks/{foremanTask.Str("id")}");
        var (fForeign, _, _) = await foremanKey.GetJsonAsync($"/api/v1/tasks/{workflowTask}");
        var (jobs, jobsBody, _) = await jobsKey.GetJsonAsync($"/api/v1/tasks/{workflowTask}");

        Assert.That((wOwn, wForeign, fOwn, fForeign), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.OK, HttpStatusCode.NotFound)));
        Assert.That(jobs, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(jobsBody.Str("error"), Is.EqualTo("Missing permission 'tasks:read'"));
    }

    [Test]
    public async Task Metrics_AcceptJson_CountsTheCallersWorkflowsTasksAndWorkers()
    {
        var t = await NewTenantAsync();
        var other = await NewTenantAsync();
        await CreateAsync(other.Client, Pending());
        await CreateAsync(t.Client, Pending());
        var cancelled = await CreateAsync(t.Client, Pending());
        await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{cancelled.Str("id")}/cancel");
        await CreateAsync(t.Client, new { name = "empty" });

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/metrics");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await t.Client.SendAsync(request);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync());
        var (_, _, text) = await t.Client.GetJsonAsync("/api/v1/metrics");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(body!["workflows"]!.ToJsonString(), Is.EqualTo("""{"total":3,"running":0,"completed":1,"failed":0}"""));
        Assert.That(body["tasks"]!.ToJsonString(), Is.EqualTo("""{"total":4,"pending":2,"running":0,"completed":0,"failed":0}"""));
        Assert.That(body["workers"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "active", "idle" }));
        Assert.That(text.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"), "Prometheus text stays the default");
    }

    [Test]
    public async Task Metrics_WorkflowsOnlyKey_Returns403()
    {
        var t = await NewTenantAsync();
        var workflowsKey = await KeyAsync(t.OrgId, ["workflows:*"]);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/metrics");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await workflowsKey.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task EmbeddedClient_WorkflowsFamilyConstant_IsWhatTheApiWrites()
    {
        var t = await NewTenantAsync();
        var workflow = await CreateAsync(t.Client, Pending());
        var client = Factory.Services.GetRequiredService<IOrchestrationClient>();

        var run = await client.Queries.GetRunAsync(t.OrgId, Guid.Parse(workflow.Str("id")), CancellationToken.None);

        Assert.That(run!.Family, Is.EqualTo(Orchestration.Http.Workflows.WorkflowsJson.Family).And.EqualTo("workflows"));
    }
}
