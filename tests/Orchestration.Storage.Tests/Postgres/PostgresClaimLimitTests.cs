using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

// Claims that can take no limited task skip the exclusive claim lock; these cases race the two claim paths against
// each other on several stores (hosts) sharing one schema, where the sequential conformance cases cannot.
public sealed class PostgresClaimLimitTests
{
    private const int Hosts = 4;

    [Test]
    public async Task ClaimTasks_ManyHostsRaceWhileLimitedRunsAreCreated_RunLimitNeverExceeded()
    {
        await using var schema = await PgSchema.CreateAsync();
        var stores = new List<PostgresStore>();
        for (var i = 0; i < Hosts; i++) stores.Add(await schema.StoreAsync(TimeProvider.System));
        var client = PgSchema.Client(stores[0]);
        await client.CreateRunsAsync(Enumerable.Range(0, 200).Select(_ => new RunSpec { Tasks = [new TaskSpec { Type = "work" }] }).ToList());

        // Limited runs appear while the hosts claim, so some claims decide on the fast path in a snapshot that does
        // not yet show them.
        var limitedRuns = new List<Guid>();
        var creator = Task.Run(async () =>
        {
            for (var r = 0; r < 10; r++)
            {
                var created = await client.CreateRunAsync(new RunSpec { MaxConcurrency = 2, Tasks = Enumerable.Range(0, 6).Select(_ => new TaskSpec { Type = "work" }).ToList() });
                lock (limitedRuns) limitedRuns.Add(created.Run.Id);
            }
        });
        var claimed = await Task.WhenAll(stores.Select((store, i) => Task.Run(async () =>
        {
            var mine = new List<TaskRun>();
            for (var round = 0; round < 40; round++) mine.AddRange(await store.ClaimTasksAsync(PgSchema.Claim("host-" + i, max: 3), CancellationToken.None));
            return mine;
        })));
        await creator;

        // Nothing completes, so every claimed task of a limited run is still running: at most two per run.
        var perRun = claimed.SelectMany(c => c).Where(t => limitedRuns.Contains(t.RunId)).GroupBy(t => t.RunId).ToList();
        Assert.That(perRun, Is.Not.Empty, "no limited task was claimed; the race was not exercised");
        Assert.That(perRun.Max(g => g.Count()), Is.LessThanOrEqualTo(2));
        var all = claimed.SelectMany(c => c).Select(t => t.Id).ToList();
        Assert.That(all, Is.Unique, "a task was claimed twice");
    }

    [Test]
    public async Task ClaimTasks_ManyHostsRaceWithTypeLimits_TypeLimitNeverExceeded()
    {
        await using var schema = await PgSchema.CreateAsync();
        var stores = new List<PostgresStore>();
        for (var i = 0; i < Hosts; i++) stores.Add(await schema.StoreAsync(TimeProvider.System));
        await PgSchema.Client(stores[0]).CreateRunsAsync(Enumerable.Range(0, 60).Select(i => new RunSpec { Tasks = [new TaskSpec { Type = i % 2 == 0 ? "gpu" : "cpu" }] }).ToList());
        var limits = new Dictionary<string, int> { ["gpu"] = 3 };

        var claimed = await Task.WhenAll(stores.Select((store, i) => Task.Run(async () =>
        {
            var mine = new List<TaskRun>();
            for (var round = 0; round < 10; round++)
                mine.AddRange(await store.ClaimTasksAsync(PgSchema.Claim("host-" + i, max: 4) with { TypeLimits = limits }, CancellationToken.None));
            return mine;
        })));

        var all = claimed.SelectMany(c => c).ToList();
        Assert.That(all.Count(t => t.Type == "gpu"), Is.EqualTo(3));
        Assert.That(all.Count(t => t.Type == "cpu"), Is.EqualTo(30));
    }

    [Test]
    public async Task ClaimTasks_LimitedRunHasHigherPriority_ItsTasksComeFirst()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        await client.CreateRunsAsync(Enumerable.Range(0, 5).Select(_ => new RunSpec { Tasks = [new TaskSpec { Type = "work" }] }).ToList());
        var limited = await client.CreateRunAsync(new RunSpec { MaxConcurrency = 1, Tasks = [new TaskSpec { Type = "work", Priority = 10 }, new TaskSpec { Type = "work", Priority = 10 }] });

        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("host", max: 3), CancellationToken.None);

        Assert.That(claimed, Has.Count.EqualTo(3));
        Assert.That(claimed[0].RunId, Is.EqualTo(limited.Run.Id));
        Assert.That(claimed.Count(t => t.RunId == limited.Run.Id), Is.EqualTo(1));
    }

    // The store sends lock + claim (and lock runs + complete) as one command without BEGIN and relies on the server
    // running the statements of one command in one implicit transaction: the lock taken by the first is still held
    // by the second, and released when the command ends.
    [Test]
    public async Task OneCommand_TwoStatementsWithoutBegin_ShareOneTransaction()
    {
        await using var schema = await PgSchema.CreateAsync();
        await using var conn = await schema.DataSource.OpenConnectionAsync();
        const string held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objid = 4242";

        long during;
        await using (var cmd = new Npgsql.NpgsqlCommand("SELECT pg_advisory_xact_lock(4242); " + held, conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            await reader.NextResultAsync();
            await reader.ReadAsync();
            during = reader.GetInt64(0);
        }

        await using var after = new Npgsql.NpgsqlCommand(held, conn);
        Assert.That(during, Is.EqualTo(1), "the lock was gone before the second statement ran");
        Assert.That((long)(await after.ExecuteScalarAsync())!, Is.Zero, "the lock outlived the command");
    }
}
