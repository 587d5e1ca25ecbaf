using System.Collections.Concurrent;
using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Executors;

/// <summary>The job queue API's executor endpoints: claim, heartbeat, complete, fail, and lease loss.</summary>
public sealed class JobExecutorApiTests(ApiBackend backend) : JobsFixture(backend)
{
    [Test]
    public async Task Claim_NoJobs_Returns204()
    {
        var t = await NewTenantAsync();
        var (status, _, _) = await t.Client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = "worker-1", executor_ip = "10.0.0.1" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task Claim_MixedPriorities_ForegroundThenBackgroundThenBestEffortThenOldest()
    {
        var t = await NewTenantAsync();
        var effort = await SubmitAsync(t.Client, "e", "best_effort");
        var back1 = await SubmitAsync(t.Client, "b1", "background");
        var fore = await SubmitAsync(t.Client, "f", "foreground");
        var back2 = await SubmitAsync(t.Client, "b2", "background");

        var order = new List<string>();
        for (var i = 0; i < 4; i++) order.Add((await ClaimAsync(t.Client, "worker-1")).Str("id"));

        Assert.That(order, Is.EqualTo(new[] { fore, back1, back2, effort }));
    }

    [Test]
    public async Task Claim_ReturnsJobDetailWithRunningAttempt()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        var job = await ClaimAsync(t.Client, "worker-1");

        Assert.That(job.Str("id"), Is.EqualTo(id));
        Assert.That(job.Str("status"), Is.EqualTo("running"));
        Assert.That(job.Str("executor_id"), Is.EqualTo("worker-1"));
        Assert.That(job.Str("binary_url"), Is.EqualTo("https://example.com/binary"));
        var attempt = job!["attempts"]![0];
        Assert.That(attempt.Str("executor_ip"), Is.EqualTo("192.168.1.100"));
        Assert.That(attempt.Str("status"), Is.EqualTo("running"));
    }

    [Test]
    public async Task Claim_OtherOrgsJobs_NeverReturned()
    {
        var owner = await NewTenantAsync();
        var other = await NewTenantAsync();
        await SubmitAsync(owner.Client);

        Assert.That(await ClaimAsync(other.Client, "worker-x"), Is.Null);
        Assert.That(await ClaimAsync(owner.Client, "worker-1"), Is.Not.Null);
    }

    [Test]
    public async Task Claim_TwoExecutorsConcurrently_NeverGetTheSameJob()
    {
        var t = await NewTenantAsync();
        const int jobs = 30;
        for (var i = 0; i < jobs; i++) await SubmitAsync(t.Client, $"j{i}");
        var claimed = new ConcurrentBag<string>();

        async Task DrainAsync(string executor)
        {
            while (await ClaimAsync(t.Client, executor) is { } job) claimed.Add(job.Str("id"));
        }

        await Task.WhenAll(DrainAsync("worker-a"), DrainAsync("worker-b"));

        Assert.That(claimed, Has.Count.EqualTo(jobs));
        Assert.That(claimed.Distinct().Count(), Is.EqualTo(jobs));
    }

    [Test]
    public async Task Heartbeat_Holder_Returns204_OtherExecutorOrUnknownJob_Returns404()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        await ClaimAsync(t.Client, "worker-1");

        var (ok, _, okResponse) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/heartbeat", new { executor_id = "worker-1" });
        var (stranger, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/heartbeat", new { executor_id = "worker-2" });
        var (unknown, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{Guid.NewGuid()}/heartbeat", new { executor_id = "worker-1" });

        Assert.That(ok, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await okResponse.Content.ReadAsByteArrayAsync(), Is.Empty);
        Assert.That(stranger, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(unknown, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Complete_Holder_Returns204AndJobCompletedWithOutput_SecondCompleteReturns400()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        await ClaimAsync(t.Client, "worker-1");
        var result = new { executor_id = "worker-1", stdout = "Job output...", stderr = "", exit_code = 0 };

        var (first, _, firstResponse) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/complete", result);
        var (second, error, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/complete", result);
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(first, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await firstResponse.Content.ReadAsByteArrayAsync(), Is.Empty);
        Assert.That(second, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error!["context"]!["status"]!.GetValue<string>(), Is.EqualTo("completed"));
        Assert.That(job.Str("status"), Is.EqualTo("completed"));
        Assert.That(job.Str("stdout"), Is.EqualTo("Job output..."));
        Assert.That(job!["exit_code"]!.GetValue<int>(), Is.Zero);
        Assert.That(job["completed_at"], Is.Not.Null);
        Assert.That(job["attempts"]![0].Str("status"), Is.EqualTo("completed"));
        Assert.That(job["attempts"]![0]!["ended_at"], Is.Not.Null);
    }

    [Test]
    public async Task CompleteAndFail_UnknownJob_Return404()
    {
        var t = await NewTenantAsync();
        var (complete, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{Guid.NewGuid()}/complete", new { executor_id = "w", exit_code = 0 });
        var (fail, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{Guid.NewGuid()}/fail", new { executor_id = "w", exit_code = 1 });

        Assert.That(complete, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(fail, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Fail_PendingJob_Returns400()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        var (status, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/fail", new { executor_id = "w", exit_code = 1 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Fail_Holder_Returns204AndJobFailedWithStderrAndMessage()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        await ClaimAsync(t.Client, "worker-1");

        var (status, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/fail",
            new { executor_id = "worker-1", stdout = "Partial output...", stderr = "Error messages...", exit_code = 1, error_message = "Binary execution failed" });
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(job.Str("status"), Is.EqualTo("failed"));
        Assert.That(job.Str("stderr"), Is.EqualTo("Error messages..."));
        Assert.That(job.Str("stdout"), Is.EqualTo("Partial output..."));
        Assert.That(job.Str("error_message"), Is.EqualTo("Binary execution failed"));
        Assert.That(job!["exit_code"]!.GetValue<int>(), Is.EqualTo(1));
    }

    [Test]
    public async Task Complete_OutputOver1MB_AcceptedAndCutTo1MB()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        await ClaimAsync(t.Client, "worker-1");
        var big = new string('x', (1024 * 1024) + 5000);

        var (status, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/complete", new { executor_id = "worker-1", stdout = big, stderr = big, exit_code = 0 });
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(job.Str("stdout"), Has.Length.EqualTo(1024 * 1024));
        Assert.That(job.Str("stderr"), Has.Length.EqualTo(1024 * 1024));
    }

    [Test]
    public async Task LeaseExpiry_SilentExecutorLosesJobToAnother_AndItsLateCompleteIsRefused()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        await ClaimAsync(t.Client, "worker-1");

        // Past the default 15 s heartbeat timeout, then the reaper's pass (the leader runs the same call on its timer).
        Factory.Time.Advance(TimeSpan.FromSeconds(16));
        await Store.ReleaseExpiredLeasesAsync(100, CancellationToken.None);
        var (_, afterReap, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");
        var second = await ClaimAsync(t.Client, "worker-2");
        var (late, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/complete", new { executor_id = "worker-1", stdout = "late", exit_code = 0 });
        var (lateBeat, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/heartbeat", new { executor_id = "worker-1" });
        var (done, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/complete", new { executor_id = "worker-2", stdout = "ok", exit_code = 0 });
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(afterReap.Str("status"), Is.EqualTo("pending"));
        Assert.That(second.Str("id"), Is.EqualTo(id));
        Assert.That(late, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(lateBeat, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(done, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(job.Str("stdout"), Is.EqualTo("ok"));
        Assert.That(job!["attempts"]!.AsArray().Select(a => a.Str("status")), Is.EqualTo(new[] { "lease_expired", "completed" }));
    }

    [Test]
    public async Task Heartbeat_KeepsLeaseAlivePastTimeout()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        await ClaimAsync(t.Client, "worker-1");

        Factory.Time.Advance(TimeSpan.FromSeconds(10));
        await PutAsync(t.Client, $"/api/v1/jobs/{id}/heartbeat", new { executor_id = "worker-1" });
        Factory.Time.Advance(TimeSpan.FromSeconds(10));
        await Store.ReleaseExpiredLeasesAsync(100, CancellationToken.None);
        var (status, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/complete", new { executor_id = "worker-1", exit_code = 0 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NoContent));
    }
}
