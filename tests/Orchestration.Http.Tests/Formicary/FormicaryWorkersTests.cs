using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>
/// <c>/api/ants</c> and <c>/api/executors</c>: a remote executor claiming a Formicary task over the task protocol is
/// listed with its methods, capacity and load; its execution is listed and can be terminated, which its next
/// heartbeat learns.
/// </summary>
public sealed class FormicaryWorkersTests(ApiBackend backend) : FormicaryFixture(backend)
{
    private const string Method = "REMOTE_ANT";

    /// <summary>The task type a Formicary method runs as (its lower case), which executors claim.</summary>
    private const string TaskType = "remote_ant";

    private sealed record Claimed(string OrgId, HttpClient Client, HttpClient Executor, string RequestId, JsonNode Task, string AntId);

    /// <summary>A request whose one task a remote executor (ant) of the org claimed and now runs.</summary>
    private async Task<Claimed> ClaimedByRemoteAntAsync()
    {
        var (orgId, client) = await NewTenantAsync("*");
        var executor = await KeyAsync(orgId, ["jobs:execute"]);
        await SaveAsync(client, new { job_type = "remote-job", tasks = new[] { new { task_type = "build", method = Method } } });
        var request = await SubmitAsync(client, new { job_type = "remote-job" });
        var antId = "ant-" + Guid.NewGuid().ToString("N")[..6];
        var (status, claim, _) = await executor.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = antId, types = new[] { TaskType }, max = 4, lease_seconds = 60 });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), claim?.ToJsonString());
        var task = claim!["tasks"]!.AsArray().Single()!;
        return new Claimed(orgId, client, executor, request.Str("id"), task, antId);
    }

    [Test]
    public async Task ListAnts_RemoteExecutorRunningATask_ListedWithMethodsCapacityLoadAndAllocation()
    {
        var c = await ClaimedByRemoteAntAsync();

        var (status, ants, _) = await c.Client.GetJsonAsync("/api/ants");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), ants?.ToJsonString());
        var ant = ants!.AsArray().Single(a => a.Str("ant_id") == c.AntId)!;
        Assert.That(ant["methods"]!.AsArray().Select(m => m!.GetValue<string>()), Is.EqualTo(new[] { TaskType }));
        Assert.That((ant["max_capacity"]!.GetValue<int>(), ant["current_load"]!.GetValue<int>()), Is.EqualTo((4, 1)));
        Assert.That(ant["total_executed"]!.GetValue<long>(), Is.EqualTo(0));
        Assert.That(ant["last_heartbeat_at"], Is.Not.Null);
        var allocation = ant["allocations"]![c.RequestId]!;
        Assert.That(allocation["task_types"]!.Str("build"), Is.EqualTo("EXECUTING"));
    }

    [Test]
    public async Task ListAnts_AnotherOrgsExecutor_NotListed()
    {
        var c = await ClaimedByRemoteAntAsync();
        var (_, other) = await NewTenantAsync("AntExecutor:Query");

        var (status, ants, _) = await other.GetJsonAsync("/api/ants");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ants!.AsArray().Select(a => a.Str("ant_id")), Does.Not.Contain(c.AntId));
    }

    [Test]
    public async Task ListExecutors_RunningRemoteTask_PaginatedContainerEvent()
    {
        var c = await ClaimedByRemoteAntAsync();

        var (status, page, _) = await c.Client.GetJsonAsync("/api/executors?page_size=10");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), page?.ToJsonString());
        Assert.That(page!["total_records"]!.GetValue<int>(), Is.EqualTo(1));
        var record = page["records"]!.AsArray().Single()!;
        Assert.That((record.Str("id"), record.Str("ant_id"), record.Str("method")), Is.EqualTo((c.Task.Str("id"), c.AntId, TaskType)));
        Assert.That((record.Str("job_request_id"), record.Str("task_type"), record.Str("container_state")), Is.EqualTo((c.RequestId, "build", "RUNNING")));
    }

    [Test]
    public async Task DeleteExecutor_RunningRemoteTask_CancelsTheRequestAndTheExecutorsHeartbeatSaysCancel()
    {
        var c = await ClaimedByRemoteAntAsync();
        var id = c.Task.Str("id");

        var (wrongAnt, _, _) = await c.Client.DeleteJsonAsync($"/api/executors/{id}?antID=someone-else");
        var (status, _, response) = await c.Client.DeleteJsonAsync($"/api/executors/{id}?antID={c.AntId}&method={Method}");
        var (beat, beatBody, _) = await c.Executor.SendAsync(HttpMethod.Put, $"/api/v1/tasks/{id}/heartbeat", new { lease_token = c.Task.Str("lease_token") });
        var (_, request, _) = await c.Client.GetJsonAsync($"/api/jobs/requests/{c.RequestId}");
        var (again, againBody, _) = await c.Client.DeleteJsonAsync($"/api/executors/{id}");

        Assert.That(wrongAnt, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty, "Formicary answers 200 with an empty body");
        Assert.That(beat, Is.EqualTo(HttpStatusCode.OK), beatBody?.ToJsonString());
        Assert.That(beatBody!["cancel_requested"]!.GetValue<bool>(), Is.True, "the remote executor sees the cancellation");
        Assert.That(request.Str("job_state"), Is.EqualTo("CANCELLED"));
        Assert.That((again, againBody.Str("error")), Is.EqualTo((HttpStatusCode.NotFound, "Executor not found")), "nothing runs any more");
    }

    [Test]
    public async Task DeleteExecutor_AnotherOrgsExecution_404AndItKeepsRunning()
    {
        var c = await ClaimedByRemoteAntAsync();
        var (_, other) = await NewTenantAsync("Container:*");

        var (status, _, _) = await other.DeleteJsonAsync($"/api/executors/{c.Task.Str("id")}");
        var (_, request, _) = await c.Client.GetJsonAsync($"/api/jobs/requests/{c.RequestId}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(request.Str("job_state"), Is.EqualTo("EXECUTING"));
    }

    [Test]
    public async Task WorkerEndpoints_WithoutTheirPermissions_403()
    {
        var (_, client) = await NewTenantAsync("JobRequest:*");

        var (ants, antsBody, _) = await client.GetJsonAsync("/api/ants");
        var (executors, _, _) = await client.GetJsonAsync("/api/executors");
        var (delete, _, _) = await client.DeleteJsonAsync($"/api/executors/{Guid.NewGuid()}");

        Assert.That((ants, antsBody.Str("error")), Is.EqualTo((HttpStatusCode.Forbidden, "Missing permission 'AntExecutor:Query'")));
        Assert.That((executors, delete), Is.EqualTo((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden)));
    }
}
