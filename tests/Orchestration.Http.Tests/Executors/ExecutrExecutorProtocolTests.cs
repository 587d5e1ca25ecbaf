using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Executors;

/// <summary>
/// The job queue's executor calls driven exactly as executr's executor drives them: claim every poll interval with
/// <c>{executor_id, executor_ip}</c> (200 job or 204), a heartbeat every 5 s that must answer 204, then complete
/// (exit code 0) or fail (any other, with <c>error_message</c>), each of which must answer 204. Its client treats every
/// other status as an error.
/// </summary>
public sealed class ExecutrExecutorProtocolTests(ApiBackend backend) : JobsFixture(backend)
{
    // executr's defaults: name plus 8 hex digits as the id, the hostname as the "ip", heartbeats every 5 s.
    private const string ExecutorId = "worker-3f2a9c1b";
    private const string ExecutorHost = "build-host-7";
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    // Rate-limit windows and leases of one test must not leak into the next.
    [SetUp]
    public void StartFreshWindows() => Factory.Time.Advance(TimeSpan.FromHours(2));

    private static async Task<JsonNode?> PollAsync(HttpClient client, string executor = ExecutorId)
    {
        var (status, body, _) = await client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = executor, executor_ip = ExecutorHost });
        Assert.That(status, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.NoContent), body?.ToJsonString());
        return status == HttpStatusCode.OK ? body : null;
    }

    [Test]
    public async Task ExecutrLoop_JobLongerThanHeartbeatTimeout_CompletesOnOneAttempt()
    {
        var t = await NewTenantAsync();
        Assert.That(await PollAsync(t.Client), Is.Null);
        var id = await SubmitAsync(t.Client);

        var job = await PollAsync(t.Client);
        Assert.That(job.Str("id"), Is.EqualTo(id));
        Assert.That(job.Str("binary_url"), Is.EqualTo("https://example.com/binary"));
        Assert.That(job.Str("binary_sha256"), Is.EqualTo(Sha));
        Assert.That(job!["arguments"]!.AsArray().Select(a => a!.GetValue<string>()), Is.EqualTo(new[] { "arg1", "arg2" }));

        // 60 s of work, four times the 15 s heartbeat timeout, with the reaper passing after every heartbeat.
        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromSeconds(60); elapsed += HeartbeatInterval)
        {
            Factory.Time.Advance(HeartbeatInterval);
            var (beat, _, beatResponse) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/heartbeat", new { executor_id = ExecutorId });
            Assert.That(beat, Is.EqualTo(HttpStatusCode.NoContent), $"heartbeat at {elapsed + HeartbeatInterval}");
            Assert.That(await beatResponse.Content.ReadAsByteArrayAsync(), Is.Empty);
            await Store.ReleaseExpiredLeasesAsync(100, CancellationToken.None);
        }

        var (complete, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/complete",
            new { executor_id = ExecutorId, stdout = "done\n", stderr = "", exit_code = 0 });
        var (_, finished, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(complete, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(finished.Str("status"), Is.EqualTo("completed"));
        Assert.That(finished.Str("stdout"), Is.EqualTo("done\n"));
        Assert.That(finished!["attempts"]!.AsArray().Select(a => a.Str("status")), Is.EqualTo(new[] { "completed" }));
        Assert.That(finished["attempts"]![0].Str("executor_ip"), Is.EqualTo(ExecutorHost));
    }

    [Test]
    public async Task ExecutrLoop_NonZeroExit_FailAnswers204AndJobFailsForGood()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        await PollAsync(t.Client);
        Factory.Time.Advance(HeartbeatInterval);
        var (beat, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/heartbeat", new { executor_id = ExecutorId });

        // executr's fail body: omitempty on stdout/stderr/exit_code, error_message always set.
        var (fail, _, failResponse) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/fail",
            new { executor_id = ExecutorId, error_message = "Job failed with non-zero exit code", stderr = "boom", exit_code = 3 });
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(beat, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(fail, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await failResponse.Content.ReadAsByteArrayAsync(), Is.Empty);
        Assert.That(job.Str("status"), Is.EqualTo("failed"));
        Assert.That(job.Str("error_message"), Is.EqualTo("Job failed with non-zero exit code"));
        Assert.That(await PollAsync(t.Client), Is.Null);
    }

    [Test]
    public async Task Claim_PollingOncePerSecondForAnHour_NeverAnswered429_AndKeyLimitUntouched()
    {
        var t = await NewTenantAsync();
        // The test hosts raise the per-key limit; this key carries the shipped default (100 per 15 minutes) itself.
        var (created, key, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys",
            new { orgId = t.OrgId, name = "executor", permissions = new[] { "jobs:*" }, rateLimit = new { limit = 100, windowSeconds = 900 } });
        Assert.That(created, Is.EqualTo(HttpStatusCode.Created), key?.ToJsonString());
        using var executor = Factory.WithKey(key.Str("key"));
        var statuses = new HashSet<HttpStatusCode>();
        for (var i = 0; i < 3600; i++)
        {
            var (status, _, _) = await executor.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = ExecutorId, executor_ip = ExecutorHost });
            statuses.Add(status);
            Factory.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var (list, _, listResponse) = await executor.GetJsonAsync("/api/v1/jobs");

        Assert.That(statuses, Is.EquivalentTo(new[] { HttpStatusCode.NoContent }));
        Assert.That(list, Is.EqualTo(HttpStatusCode.OK));
        // The key's API window saw only this one call.
        Assert.That(listResponse.Headers.GetValues("X-RateLimit-Limit").Single(), Is.EqualTo("100"));
        Assert.That(listResponse.Headers.GetValues("X-RateLimit-Remaining").Single(), Is.EqualTo("99"));
    }

    [Test]
    public async Task Claim_OverPerExecutorLimit_Returns429ForThatExecutorOnly()
    {
        var t = await NewTenantAsync();
        HttpStatusCode last = default;
        JsonNode? error = null;
        HttpResponseMessage? response = null;
        for (var i = 0; i < 601; i++)
            (last, error, response) = await t.Client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = "hammering", executor_ip = ExecutorHost });
        var (other, _, _) = await t.Client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = "polite", executor_ip = ExecutorHost });

        Assert.That(last, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(error.Str("error"), Does.Contain("600 per 60 s per executor"));
        Assert.That(response!.Headers.RetryAfter, Is.Not.Null);
        Assert.That(other, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task Complete_UnknownJobsProbedPastTheExecutorLimit_Returns429()
    {
        var t = await NewTenantAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 601; i++)
            statuses.Add((await PutAsync(t.Client, $"/api/v1/jobs/{Guid.NewGuid()}/complete", new { exit_code = 0 })).Status);

        Assert.That(statuses.Take(600), Is.All.EqualTo(HttpStatusCode.NotFound));
        Assert.That(statuses[600], Is.EqualTo(HttpStatusCode.TooManyRequests));
    }

    [TestCase("/api/v1/jobs/claim")]
    [TestCase("/api/v1/tasks/claim")]
    public async Task Claim_ExecutorIdOverCap_Returns400NamingCap(string path)
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.PostJsonAsync(path, new { executor_id = new string('x', 256), executor_ip = ExecutorHost, types = new[] { "exec" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Is.EqualTo("executor_id must be at most 255 characters"));
    }

    [Test]
    public async Task TasksClaim_TooManyTypes_Returns400NamingCap()
    {
        var t = await NewTenantAsync();
        var types = Enumerable.Range(0, 40_000).Select(i => $"type-{i}").ToArray();
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = ExecutorId, types });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Is.EqualTo("types must list at most 64 task types"));
    }

    [Test]
    public async Task Heartbeat_PastTimeoutSeconds_Returns404AndJobFailsForGood()
    {
        var t = await NewTenantAsync();
        var (_, submitted, _) = await t.Client.PostJsonAsync("/api/v1/jobs",
            new { type = "bounded", binary_url = "https://example.com/b", binary_sha256 = Sha, timeout_seconds = 8 });
        var id = submitted.Str("id");
        await PollAsync(t.Client);

        Factory.Time.Advance(HeartbeatInterval);
        var (inTime, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/heartbeat", new { executor_id = ExecutorId });
        Factory.Time.Advance(HeartbeatInterval);
        var (late, body, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/heartbeat", new { executor_id = ExecutorId });
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(inTime, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(late, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(body!["context"]!["status"]!.GetValue<string>(), Is.EqualTo("failed"));
        Assert.That(job.Str("status"), Is.EqualTo("failed"));
        Assert.That(job.Str("error_message"), Does.Contain("timed out after 8 s"));
        Assert.That(await PollAsync(t.Client), Is.Null);
    }
}
