using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Platform;

/// <summary>
/// A run belongs to the API family that created it: the Foreman API and the job queue API, called in the same org with
/// each other's ids, answer as for another org's ids (404, or lists without them) and change nothing.
/// </summary>
public sealed class FamilyIsolationTests(ApiBackend backend) : ApiFixture(backend)
{
    private const string Secret = "s3cr3t-db-password";

    private static object Job(string type = "secret-job", string priority = "foreground") => new
    {
        type,
        binary_url = "https://example.com/b",
        binary_sha256 = new string('a', 64),
        env_variables = new Dictionary<string, string> { ["DB_PASSWORD"] = Secret },
        priority,
    };

    private static async Task<string> SubmitJobAsync(HttpClient client, string priority = "foreground")
    {
        var (status, body, _) = await client.PostJsonAsync("/api/v1/jobs", Job(priority: priority));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        return body.Str("id");
    }

    private async Task<string> JobTaskIdAsync(string orgId, string jobId)
    {
        var client = Factory.Services.GetRequiredService<IOrchestrationClient>();
        var tasks = await client.Queries.GetRunTasksAsync(orgId, Guid.Parse(jobId), CancellationToken.None);
        return tasks.Single().Id.ToString();
    }

    [Test]
    public async Task ForemanTaskEndpoints_TasksOnlyKeyWithJobIds_RevealAndChangeNothing()
    {
        var owner = await NewTenantAsync();
        var tasksOnly = await CreateKeyAsync(owner.OrgId, ["tasks:*"]);
        using var intruder = Factory.WithKey(tasksOnly.Str("key"));
        var completedJob = await SubmitJobAsync(owner.Client);
        var (_, claimed, _) = await owner.Client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = "worker-1" });
        Assert.That(claimed.Str("id"), Is.EqualTo(completedJob));
        var (done, _, _) = await owner.Client.SendAsync(HttpMethod.Put, $"/api/v1/jobs/{completedJob}/complete", new { executor_id = "worker-1", exit_code = 0 });
        Assert.That(done, Is.EqualTo(HttpStatusCode.NoContent));
        var runningJob = await SubmitJobAsync(owner.Client);
        await owner.Client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = "worker-2" });
        var completedTask = await JobTaskIdAsync(owner.OrgId, completedJob);
        var runningTask = await JobTaskIdAsync(owner.OrgId, runningJob);

        var (listStatus, list, _) = await intruder.GetJsonAsync($"/api/v1/tasks?runId={completedJob}");
        var (getStatus, _, _) = await intruder.GetJsonAsync($"/api/v1/tasks/{completedTask}");
        var (requeue, requeueBody, _) = await intruder.PatchJsonAsync($"/api/v1/tasks/{completedTask}", new { status = "queued" });
        var (cancel, _, _) = await intruder.PatchJsonAsync($"/api/v1/tasks/{runningTask}", new { status = "cancelled" });
        var (complete, _, _) = await intruder.PatchJsonAsync($"/api/v1/tasks/{runningTask}", new { status = "completed", outputData = 1 });
        var (add, _, _) = await intruder.PostJsonAsync("/api/v1/tasks", new { runId = runningJob, type = "x" });

        Assert.That(listStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(list!["items"]!.AsArray(), Is.Empty);
        Assert.That(list.ToJsonString(), Does.Not.Contain(Secret));
        Assert.That((getStatus, requeue, cancel, complete, add), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(requeueBody.Str("error"), Is.Not.Empty);

        var (again, _, _) = await owner.Client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = "worker-3" });
        Assert.That(again, Is.EqualTo(HttpStatusCode.NoContent), "the completed job was claimed a second time");
        var (_, completedAfter, _) = await owner.Client.GetJsonAsync($"/api/v1/jobs/{completedJob}");
        var (_, runningAfter, _) = await owner.Client.GetJsonAsync($"/api/v1/jobs/{runningJob}");
        Assert.That(completedAfter.Str("status"), Is.EqualTo("completed"));
        Assert.That(runningAfter.Str("status"), Is.EqualTo("running"), "the job is still readable and untouched");
        Assert.That(runningAfter.Str("executor_id"), Is.EqualTo("worker-2"));
    }

    [Test]
    public async Task EveryFamilyRoute_CalledWithTheOtherFamilysIds_RevealsAndChangesNothing()
    {
        var owner = await NewTenantAsync();
        var job = await SubmitJobAsync(owner.Client, "background");
        var jobTask = await JobTaskIdAsync(owner.OrgId, job);
        var run = await CreateRunAsync(owner.Client, new { order = "secret-order" });
        var task = await CreateTaskAsync(owner.Client, run);
        var client = owner.Client;

        // Foreman's routes with the job's ids.
        var foremanProbes = new (HttpMethod Method, string Url, object? Body)[]
        {
            (HttpMethod.Get, $"/api/v1/runs/{job}", null),
            (HttpMethod.Patch, $"/api/v1/runs/{job}", new { status = "cancelled", outputData = 1 }),
            (HttpMethod.Post, "/api/v1/tasks", new { runId = job, type = "x" }),
            (HttpMethod.Get, $"/api/v1/tasks/{jobTask}", null),
            (HttpMethod.Patch, $"/api/v1/tasks/{jobTask}", new { metadata = new { x = 1 } }),
            (HttpMethod.Post, $"/api/v1/runs/{job}/data", new { key = "k", value = 1 }),
            (HttpMethod.Get, $"/api/v1/runs/{job}/data", null),
            (HttpMethod.Get, $"/api/v1/runs/{job}/data/k", null),
            (HttpMethod.Patch, $"/api/v1/runs/{job}/data/{Guid.NewGuid()}/tags", new { add = new[] { "t" } }),
            (HttpMethod.Delete, $"/api/v1/runs/{job}/data?key=k", null),
            // The job queue API's routes with the Foreman run's id.
            (HttpMethod.Get, $"/api/v1/jobs/{run}", null),
            (HttpMethod.Delete, $"/api/v1/jobs/{run}", null),
            (HttpMethod.Put, $"/api/v1/jobs/{run}/heartbeat", new { executor_id = "w" }),
            (HttpMethod.Put, $"/api/v1/jobs/{run}/complete", new { executor_id = "w", exit_code = 0 }),
            (HttpMethod.Put, $"/api/v1/jobs/{run}/fail", new { executor_id = "w", exit_code = 1 }),
        };
        foreach (var (method, url, body) in foremanProbes)
        {
            var (status, answer, _) = await client.SendAsync(method, url, body);
            Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound), $"{method} {url}: {answer?.ToJsonString()}");
        }

        var (_, runs, _) = await client.GetJsonAsync("/api/v1/runs?limit=100");
        var (_, tasks, _) = await client.GetJsonAsync("/api/v1/tasks?limit=100");
        var (_, jobTasks, _) = await client.GetJsonAsync($"/api/v1/tasks?runId={job}");
        var (_, jobs, _) = await client.GetJsonAsync("/api/v1/jobs?limit=1000");
        var (_, bulk, _) = await client.PostJsonAsync("/api/v1/jobs/bulk/cancel", new { job_ids = new[] { run } });
        Assert.That(runs!.ToJsonString(), Does.Not.Contain(job));
        Assert.That(tasks!.ToJsonString(), Does.Not.Contain(job).And.Not.Contain(Secret));
        Assert.That(jobTasks!["total"]!.GetValue<int>(), Is.Zero);
        Assert.That(jobs!.ToJsonString(), Does.Not.Contain(run).And.Not.Contain("secret-order"));
        Assert.That(bulk!["cancelled"]!.GetValue<int>(), Is.Zero);

        var (_, jobAfter, _) = await client.GetJsonAsync($"/api/v1/jobs/{job}");
        var (_, runAfter, _) = await client.GetJsonAsync($"/api/v1/runs/{run}");
        var (_, taskAfter, _) = await client.GetJsonAsync($"/api/v1/tasks/{task}");
        Assert.That(jobAfter.Str("status"), Is.EqualTo("pending"));
        var engine = Factory.Services.GetRequiredService<IOrchestrationClient>();
        Assert.That((await engine.Queries.GetTaskAsync(owner.OrgId, Guid.Parse(jobTask), CancellationToken.None))!.MetadataJson, Is.Null);
        Assert.That((runAfter.Str("status"), runAfter!["totalTasks"]!.GetValue<int>()), Is.EqualTo(("pending", 1)));
        Assert.That(taskAfter.Str("status"), Is.EqualTo("pending"));
    }

    [Test]
    public async Task PatchRun_Cancelled_QueuedTaskNotClaimableAndNewTasksConflict()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var task = await CreateTaskAsync(t.Client, run, "family-isolation-type");
        var (queued, _, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { status = "queued" });
        Assert.That(queued, Is.EqualTo(HttpStatusCode.OK));

        var (cancel, cancelled, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{run}", new { status = "cancelled" });
        var (_, taskAfter, _) = await t.Client.GetJsonAsync($"/api/v1/tasks/{task}");
        var (claim, _, _) = await t.Client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = "w", types = new[] { "family-isolation-type" } });
        var (add, addBody, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run, type = "x" });
        var (reopen, reopenBody, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{run}", new { status = "running" });

        Assert.That(cancel, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(cancelled.Str("status"), Is.EqualTo("cancelled"));
        Assert.That(taskAfter.Str("status"), Is.EqualTo("cancelled"));
        Assert.That(claim, Is.EqualTo(HttpStatusCode.NoContent), "a task of a cancelled run was claimed");
        Assert.That(add, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(addBody.Str("error"), Does.Contain("finished"));
        Assert.That(reopen, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(reopenBody.Str("error"), Does.Contain("finished"));
    }

    [Test]
    public async Task PatchTask_FinishedTask_ConflictAndStatusKept()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var task = await CreateTaskAsync(t.Client, run);
        await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { status = "completed", outputData = new { ok = true } });

        var (requeue, body, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { status = "queued" });
        var (same, _, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { status = "completed", metadata = new { note = 1 } });
        var (_, after, _) = await t.Client.GetJsonAsync($"/api/v1/tasks/{task}");

        Assert.That(requeue, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(body.Str("error"), Does.Contain("finished"));
        Assert.That(same, Is.EqualTo(HttpStatusCode.OK), "repeating the status it has is not a change");
        Assert.That(after.Str("status"), Is.EqualTo("completed"));
        Assert.That(after!["metadata"]!["note"]!.GetValue<int>(), Is.EqualTo(1));
    }
}
