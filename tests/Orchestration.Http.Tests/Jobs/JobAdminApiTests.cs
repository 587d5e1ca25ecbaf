using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Jobs;

/// <summary>The job queue API's admin endpoints, scoped to the caller's org.</summary>
public sealed class JobAdminApiTests(ApiBackend backend) : JobsFixture(backend)
{
    [Test]
    public async Task Stats_CountsJobsByStatusAndPendingByPriority()
    {
        var t = await NewTenantAsync();
        var other = await NewTenantAsync();
        await SubmitAsync(other.Client);
        await SubmitAsync(t.Client, "a", "foreground");
        await SubmitAsync(t.Client, "b", "background");
        await SubmitAsync(t.Client, "c", "background");
        var cancelled = await SubmitAsync(t.Client, "d", "best_effort");
        await t.Client.DeleteJsonAsync($"/api/v1/jobs/{cancelled}");
        await ClaimAsync(t.Client, "worker-1");

        var (status, stats, _) = await t.Client.GetJsonAsync("/api/v1/admin/stats");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var byStatus = stats!["jobs_by_status"]!;
        Assert.That(byStatus["pending"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(byStatus["running"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(byStatus["completed"]!.GetValue<int>(), Is.Zero);
        Assert.That(byStatus["failed"]!.GetValue<int>(), Is.Zero);
        Assert.That(byStatus["cancelled"]!.GetValue<int>(), Is.EqualTo(1));
        var byPriority = stats["pending_by_priority"]!;
        Assert.That(byPriority["foreground"]!.GetValue<int>(), Is.Zero);
        Assert.That(byPriority["background"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(byPriority["best_effort"]!.GetValue<int>(), Is.Zero);
        Assert.That(stats["active_executors"]!.GetValue<int>(), Is.EqualTo(1));
    }

    [Test]
    public async Task Executors_ListsCurrentJobLastHeartbeatAndCompletedCount()
    {
        var t = await NewTenantAsync();
        var other = await NewTenantAsync();
        await ClaimAsync(other.Client, "foreign-worker");
        var first = await SubmitAsync(t.Client, "resize");
        await ClaimAsync(t.Client, "worker-1");
        await PutAsync(t.Client, $"/api/v1/jobs/{first}/complete", new { executor_id = "worker-1", exit_code = 0 });
        var second = await SubmitAsync(t.Client, "encode");
        await ClaimAsync(t.Client, "worker-1");
        await PutAsync(t.Client, $"/api/v1/jobs/{second}/heartbeat", new { executor_id = "worker-1" });

        var (status, list, _) = await t.Client.GetJsonAsync("/api/v1/admin/executors");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var rows = list!.AsArray();
        Assert.That(rows.Select(r => r.Str("executor_id")), Is.EqualTo(new[] { "worker-1" }));
        Assert.That(rows[0].Str("current_job_id"), Is.EqualTo(second));
        Assert.That(rows[0].Str("job_type"), Is.EqualTo("encode"));
        Assert.That(rows[0].Str("last_heartbeat"), Does.EndWith("Z"));
        Assert.That(rows[0]!["jobs_completed"]!.GetValue<long>(), Is.EqualTo(1));
    }
}
