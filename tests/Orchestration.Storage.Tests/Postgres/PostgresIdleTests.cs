using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

// What an idle Postgres host relies on instead of polling: the LISTEN connection (and its recovery) and the database's
// knowledge of when maintenance is next due.
public sealed class PostgresIdleTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Test]
    public async Task NextMaintenanceDue_NothingRunningNoDeadline_IsNull()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        await PgSchema.Client(store).CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] });

        Assert.That(await store.NextMaintenanceDueAsync(CancellationToken.None), Is.Null, "a queued task has no lease and its run no deadline");
    }

    [Test]
    public async Task NextMaintenanceDue_RunningLeaseAndRunDeadline_IsTheEarlierOfThem()
    {
        await using var schema = await PgSchema.CreateAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = await schema.StoreAsync(time, hostClock: true);
        var client = PgSchema.Client(store);
        await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] });
        await store.ClaimTasksAsync(PgSchema.Claim("x", lease: TimeSpan.FromSeconds(30)), CancellationToken.None);

        Assert.That(await store.NextMaintenanceDueAsync(CancellationToken.None), Is.EqualTo(TimeSpan.FromSeconds(30)), "the lease");

        await client.CreateRunAsync(new RunSpec { Timeout = TimeSpan.FromSeconds(5), Tasks = [new TaskSpec { Name = "b", Type = "work" }] });
        Assert.That(await store.NextMaintenanceDueAsync(CancellationToken.None), Is.EqualTo(TimeSpan.FromSeconds(5)), "the run deadline");

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.That(await store.NextMaintenanceDueAsync(CancellationToken.None), Is.EqualTo(TimeSpan.Zero), "a deadline already passed is due now");
    }

    [Test]
    public async Task CreateRun_WithDeadline_SignalsWorkSoASleepingMaintenanceLoopRereadsWhatIsDue()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var version = store.WorkAvailable.Version;

        await PgSchema.Client(store).CreateRunAsync(new RunSpec { Open = true, Timeout = TimeSpan.FromMinutes(1) });

        Assert.That(store.WorkAvailable.Version, Is.GreaterThan(version), "an open run has no queued task, only the deadline is news");
    }

    [Test]
    public async Task Listener_ConnectionLost_ReconnectsWakesWaitersAndHearsNotificationsAgain()
    {
        await using var schema = await PgSchema.CreateAsync();
        var idle = await schema.StoreAsync(TimeProvider.System);
        var writer = await schema.StoreAsync(TimeProvider.System);
        using var listener = new PostgresListener(idle, NullLogger<PostgresListener>.Instance);
        await ((IHostedService)listener).StartAsync(CancellationToken.None);
        try
        {
            await listener.Listening.WaitAsync(Bound);
            Assert.That(idle.WorkAvailable.Reliable, Is.True, "LISTEN is in place");
            var lost = listener.ProcessId!.Value;
            var before = idle.WorkAvailable.Version;

            await using (var kill = schema.DataSource.CreateCommand($"SELECT pg_terminate_backend({lost})"))
                await kill.ExecuteScalarAsync();
            using var cts = new CancellationTokenSource(Bound);
            while (listener.Connects < 2)
            {
                var seen = idle.WorkAvailable.Version;
                if (listener.Connects >= 2) break;
                await idle.WorkAvailable.WaitAsync(seen, Bound, TimeProvider.System, cts.Token);
            }

            Assert.That(listener.ProcessId, Is.Not.EqualTo(lost), "a new session listens");
            Assert.That(idle.WorkAvailable.Version, Is.GreaterThanOrEqualTo(before + 2), "waiters are woken at the loss and again once LISTEN is back, to claim what was announced meanwhile");
            Assert.That(idle.WorkAvailable.Reliable, Is.True);

            var reconnected = idle.WorkAvailable.Version;
            await PgSchema.Client(writer).CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] });
            await idle.WorkAvailable.WaitAsync(reconnected, Bound, TimeProvider.System, cts.Token);
            Assert.That(idle.WorkAvailable.Version, Is.GreaterThan(reconnected), "NOTIFY from another host reaches the new session");
        }
        finally
        {
            await ((IHostedService)listener).StopAsync(CancellationToken.None);
        }

        Assert.That(idle.WorkAvailable.Reliable, Is.False, "a stopped listener hears nothing");
    }
}
