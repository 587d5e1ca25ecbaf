using Orchestration.Testing;

namespace Orchestration.EndToEnd.Tests.Postgres;

/// <summary>Several worker host processes on one Postgres: nothing lost, nothing run twice, through host crashes and server restarts.</summary>
public sealed class MultiHostTests
{
    // Long enough that a host stalled by a loaded machine keeps its leases (a lost lease is legal but would make the
    // reclaim counts below depend on timing), short enough that a killed host's tasks are reclaimed quickly.
    private const int LeaseMs = 5000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [Test]
    public async Task ThreeHosts_TwoThousandTasks_EveryTaskCompletesExactlyOnce()
    {
        var server = await PostgresServer.Shared;
        await using var db = await MultiHostDatabase.CreateAsync(await ConnectionStringAsync(server));
        await using var fleet = new HostFleet(db.ConnectionString, db.Schema, LeaseMs);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(fleet.StartAsync("host-a"), fleet.StartAsync("host-b"), fleet.StartAsync("host-c"));
        var started = clock.Elapsed;

        await db.EnqueueAsync(runs: 20, tasksPerRun: 100, delayMs: 2);
        var enqueued = clock.Elapsed;
        var finished = await db.WaitForAllTerminalAsync(2000, Bound);
        await TestContext.Out.WriteLineAsync($"hosts ready {started}, enqueued {enqueued}, all done {clock.Elapsed}");

        Assert.That(finished, Is.True, $"not finished in {Bound}: {await db.StatusSummaryAsync()}\n{fleet.Output}");
        await db.AssertExactlyOnceAsync(2000);
        // Exactly-once across processes is only tested if work was shared. Which hosts get how much depends on timing,
        // so what is required is that more than one did, not that each did.
        var executors = await db.ScalarAsync("SELECT count(DISTINCT executor_id) FROM {s}.attempts WHERE outcome = 'completed'");
        await TestContext.Out.WriteLineAsync($"hosts that completed tasks: {executors}");
        Assert.That(executors, Is.GreaterThanOrEqualTo(2), "the work was not shared between hosts");
    }

    [Test]
    public async Task ThreeHosts_OneKilledMidRun_ItsTasksReclaimedAfterLeaseExpiryAndCompletedElsewhere()
    {
        var server = await PostgresServer.Shared;
        await using var db = await MultiHostDatabase.CreateAsync(await ConnectionStringAsync(server));
        await using var fleet = new HostFleet(db.ConnectionString, db.Schema, LeaseMs);
        await Task.WhenAll(fleet.StartAsync("host-a"), fleet.StartAsync("host-b"), fleet.StartAsync("victim"));

        // Handlers take a second, so the victim certainly holds tasks when it dies.
        await db.EnqueueAsync(runs: 3, tasksPerRun: 100, delayMs: 1000);
        await WaitForRunningOnAsync(db, "victim");
        fleet.Kill("victim");
        // Settled once the process is gone: its open attempts are the tasks it held.
        var orphaned = await db.OpenAttemptsAsync("victim");
        var finished = await db.WaitForAllTerminalAsync(300, Bound);

        Assert.That(finished, Is.True, $"not finished in {Bound}: {await db.StatusSummaryAsync()}\n{fleet.Output}");
        await db.AssertExactlyOnceAsync(300);
        Assert.That(orphaned, Is.Not.Empty, $"the victim held no task when killed: {await db.StatusSummaryAsync()}");
        var ids = string.Join(",", orphaned.Select(id => $"'{id}'"));
        var reclaimed = await db.ScalarAsync($"SELECT count(*) FROM {{s}}.attempts WHERE task_id IN ({ids}) AND executor_id = 'victim' AND outcome = 'lease_expired'");
        var completedElsewhere = await db.ScalarAsync($"SELECT count(*) FROM {{s}}.attempts WHERE task_id IN ({ids}) AND executor_id <> 'victim' AND outcome = 'completed'");
        Assert.That(reclaimed, Is.EqualTo(orphaned.Count), "the killed host's leases were not reaped");
        Assert.That(completedElsewhere, Is.EqualTo(orphaned.Count), "the killed host's tasks did not complete on the others");
    }

    [Test]
    public async Task ThreeHosts_PostgresRestartedMidRun_HostsRecoverAndRunCompletes()
    {
        // A server of its own: restarting the shared one would disturb other tests.
        await using var server = await PostgresServer.StartOwnedAsync();
        await using var db = await MultiHostDatabase.CreateAsync(await ConnectionStringAsync(server));
        await using var fleet = new HostFleet(db.ConnectionString, db.Schema, LeaseMs);
        await Task.WhenAll(fleet.StartAsync("host-a"), fleet.StartAsync("host-b"), fleet.StartAsync("host-c"));

        // 1,000 tasks of 200 ms on 3 hosts of 32 slots take about 2 s, ten times the few milliseconds between seeing the
        // 200th completion and the server going down, so the restart certainly lands mid-run.
        await db.EnqueueAsync(runs: 10, tasksPerRun: 100, delayMs: 200);
        var deadline = DateTime.UtcNow + Bound;
        while (await db.ScalarAsync("SELECT count(*) FROM {s}.tasks WHERE status = 'completed'") < 200 && DateTime.UtcNow < deadline) await Task.Delay(50);
        var completedBefore = await db.ScalarAsync("SELECT count(*) FROM {s}.tasks WHERE status = 'completed'");
        await server.RestartAsync();
        var finished = await db.WaitForAllTerminalAsync(1000, Bound);

        Assert.That(completedBefore, Is.LessThan(1000), "the restart came too late to test anything");
        Assert.That(finished, Is.True, $"not finished in {Bound}: {await db.StatusSummaryAsync()}\n{fleet.Output}");
        await db.AssertExactlyOnceAsync(1000);
    }

    private static async Task<string> ConnectionStringAsync(PostgresServer server) => await server.CreateDatabaseAsync();

    private static async Task<List<Guid>> WaitForRunningOnAsync(MultiHostDatabase db, string executor)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var mine = (await db.RunningAsync()).Where(r => r.Executor == executor).Select(r => r.Id).ToList();
            if (mine.Count > 0) return mine;
            await Task.Delay(20);
        }

        Assert.Fail($"{executor} never ran a task");
        return [];
    }
}
