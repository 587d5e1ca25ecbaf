using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Executors;

/// <summary>The generic executor protocol: claim by type, fenced heartbeat, complete and fail.</summary>
public sealed class TaskProtocolApiTests(ApiBackend backend) : JobsFixture(backend)
{
    private async Task<Guid> CreateRemoteTaskAsync(string orgId, string type = "remote-resize", int maxRetries = 2)
    {
        var client = Factory.Services.GetRequiredService<IOrchestrationClient>();
        var run = await client.CreateRunAsync(new RunSpec
        {
            OrgId = orgId,
            Tasks = [new TaskSpec { Type = type, InputJson = """{"width":100}""", MaxRetries = maxRetries }],
        });
        return run.Run.Id;
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> ClaimOneAsync(HttpClient client, string type = "remote-resize", string executor = "py-worker-1")
    {
        var (status, body, _) = await client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = executor, executor_ip = "10.1.2.3", types = new[] { type }, max = 4, lease_seconds = 30 });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        return body!["tasks"]![0]!;
    }

    [Test]
    public async Task Claim_PollingPastThePerKeyLimit_NeverAnswered429_AndKeyWindowUntouched()
    {
        var t = await NewTenantAsync();
        var (_, key, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys",
            new { orgId = t.OrgId, name = "worker", permissions = new[] { "jobs:*" }, rateLimit = new { limit = 100, windowSeconds = 900 } });
        using var worker = Factory.WithKey(key.Str("key"));
        var statuses = new HashSet<HttpStatusCode>();
        for (var i = 0; i < 150; i++)
        {
            var (status, _, _) = await worker.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = "py-worker-9", types = new[] { "nothing-queued" } });
            statuses.Add(status);
            Factory.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var (_, _, listResponse) = await worker.GetJsonAsync("/api/v1/jobs");

        Assert.That(statuses, Is.EquivalentTo(new[] { HttpStatusCode.NoContent }));
        Assert.That(listResponse.Headers.GetValues("X-RateLimit-Remaining").Single(), Is.EqualTo("99"));
    }

    [Test]
    public async Task Claim_TypeServed_ReturnsTaskWithLeaseAndInput()
    {
        var t = await NewTenantAsync();
        var run = await CreateRemoteTaskAsync(t.OrgId);

        var task = await ClaimOneAsync(t.Client);

        Assert.That(task.Str("run_id"), Is.EqualTo(run.ToString()));
        Assert.That(task.Str("type"), Is.EqualTo("remote-resize"));
        Assert.That(task["input"]!["width"]!.GetValue<int>(), Is.EqualTo(100));
        Assert.That(task["attempt"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(Guid.TryParse(task.Str("lease_token"), out _), Is.True);
        Assert.That(task.Str("lease_expires_at"), Does.EndWith("Z"));
    }

    [Test]
    public async Task Claim_NothingOfThoseTypes_Returns204()
    {
        var t = await NewTenantAsync();
        await CreateRemoteTaskAsync(t.OrgId);

        var (status, _, _) = await t.Client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = "w", types = new[] { "other" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task Claim_NoTypes_Returns400NamingTypes()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = "w", types = Array.Empty<string>() });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["context"]!["field"]!.GetValue<string>(), Is.EqualTo("types"));
    }

    [Test]
    public async Task Heartbeat_ValidLease_ExtendsAndSaysNoCancel_AfterRunCancelled_SaysCancel()
    {
        var t = await NewTenantAsync();
        var run = await CreateRemoteTaskAsync(t.OrgId);
        var task = await ClaimOneAsync(t.Client);
        var url = $"/api/v1/tasks/{task.Str("id")}/heartbeat";

        var (status, beat, _) = await PutAsync(t.Client, url, new { lease_token = task.Str("lease_token") });
        await Factory.Services.GetRequiredService<IOrchestrationClient>().CancelRunAsync(t.OrgId, run);
        var (afterStatus, afterCancel, _) = await PutAsync(t.Client, url, new { lease_token = task.Str("lease_token") });

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(beat!["cancel_requested"]!.GetValue<bool>(), Is.False);
        Assert.That(beat.Str("lease_expires_at"), Does.EndWith("Z"));
        Assert.That(afterStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(afterCancel!["cancel_requested"]!.GetValue<bool>(), Is.True);
    }

    [Test]
    public async Task CompleteAndHeartbeat_WrongLeaseToken_Return409()
    {
        var t = await NewTenantAsync();
        await CreateRemoteTaskAsync(t.OrgId);
        var task = await ClaimOneAsync(t.Client);

        var (beat, _, _) = await PutAsync(t.Client, $"/api/v1/tasks/{task.Str("id")}/heartbeat", new { lease_token = Guid.NewGuid() });
        var (complete, body, _) = await PutAsync(t.Client, $"/api/v1/tasks/{task.Str("id")}/complete", new { lease_token = Guid.NewGuid(), output = new { ok = true } });

        Assert.That(beat, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(complete, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(body!["context"]!["task_id"]!.GetValue<string>(), Is.EqualTo(task.Str("id")));
    }

    [Test]
    public async Task Complete_ValidLease_TaskCompletedWithOutput_SecondCompleteReturns409()
    {
        var t = await NewTenantAsync();
        await CreateRemoteTaskAsync(t.OrgId);
        var task = await ClaimOneAsync(t.Client);
        var body = new { lease_token = task.Str("lease_token"), output = new { resized = true } };

        var (first, answer, _) = await PutAsync(t.Client, $"/api/v1/tasks/{task.Str("id")}/complete", body);
        var (second, _, _) = await PutAsync(t.Client, $"/api/v1/tasks/{task.Str("id")}/complete", body);
        var stored = await Factory.Services.GetRequiredService<IOrchestrationClient>().Queries.GetTaskAsync(t.OrgId, Guid.Parse(task.Str("id")), CancellationToken.None);

        Assert.That(first, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(answer.Str("status"), Is.EqualTo("completed"));
        Assert.That(second, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(stored!.OutputJson, Does.Contain("resized"));
    }

    [Test]
    public async Task Fail_Retryable_TaskRetrying_NotRetryable_TaskFailed()
    {
        var t = await NewTenantAsync();
        await CreateRemoteTaskAsync(t.OrgId);
        var task = await ClaimOneAsync(t.Client);
        var (_, retrying, _) = await PutAsync(t.Client, $"/api/v1/tasks/{task.Str("id")}/fail", new { lease_token = task.Str("lease_token"), error = "flaky" });

        await CreateRemoteTaskAsync(t.OrgId, "remote-encode");
        var other = await ClaimOneAsync(t.Client, "remote-encode");
        var (_, failed, _) = await PutAsync(t.Client, $"/api/v1/tasks/{other.Str("id")}/fail", new { lease_token = other.Str("lease_token"), error = "bad input", retryable = false });

        Assert.That(retrying.Str("status"), Is.EqualTo("retrying"));
        Assert.That(failed.Str("status"), Is.EqualTo("failed"));
    }

    [Test]
    public async Task Executors_ProtocolExecutor_ListedWithTypesAndCapacity()
    {
        var t = await NewTenantAsync();
        await CreateRemoteTaskAsync(t.OrgId);
        var task = await ClaimOneAsync(t.Client);

        var (_, list, _) = await t.Client.GetJsonAsync("/api/v1/admin/executors");

        var row = list!.AsArray().Single();
        Assert.That(row.Str("executor_id"), Is.EqualTo("py-worker-1"));
        Assert.That(row.Str("current_job_id"), Is.EqualTo(task.Str("run_id")));
        Assert.That(row.Str("job_type"), Is.EqualTo("remote-resize"));
        Assert.That(row!["types"]!.AsArray().Select(x => x!.GetValue<string>()), Is.EqualTo(new[] { "remote-resize" }));
        Assert.That(row["capacity"]!.GetValue<int>(), Is.EqualTo(4));
    }
}
