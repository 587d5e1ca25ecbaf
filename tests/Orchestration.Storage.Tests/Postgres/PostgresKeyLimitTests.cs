using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

// A per-key limit holds across hosts: several stores (hosts) sharing one schema claim and complete in parallel while an
// observer reads the running tasks of each key from the store's own rows.
public sealed class PostgresKeyLimitTests
{
    private const int Hosts = 4;
    private const int PerKey = 2;

    [Test]
    public async Task ClaimTasks_FourHostsClaimAndComplete_KeyLimitNeverExceeded()
    {
        await using var schema = await PgSchema.CreateAsync();
        var stores = new List<PostgresStore>();
        for (var i = 0; i < Hosts; i++) stores.Add(await schema.StoreAsync(TimeProvider.System));
        var client = new OrchestrationClient(stores[0], stores[0], Options.Create(new EngineOptions
        {
            KeyLimits = { new KeyLimit { Key = "customer:*", MaxRunning = PerKey } },
        }));
        var specs = Enumerable.Range(0, 60)
            .Select(i => new RunSpec { Tasks = [new TaskSpec { Type = "work", InputJson = $$"""{"c":{{i % 3}}}""", ConcurrencyKey = "customer:{$.c}" }] })
            .Concat(Enumerable.Range(0, 20).Select(_ => new RunSpec { Tasks = [new TaskSpec { Type = "work" }] }))
            .Select(s => s with { OrgId = "org" })
            .ToList();
        await client.CreateRunsAsync(specs);

        using var stop = new CancellationTokenSource();
        var observed = 0;
        var samples = 0;
        var observer = Task.Run(async () =>
        {
            await using var cmd = schema.DataSource.CreateCommand(
                $"SELECT coalesce(max(n), 0)::int FROM (SELECT count(*) AS n FROM \"{schema.Name}\".tasks WHERE status = 'running' AND limit_key IS NOT NULL GROUP BY limit_key) x");
            while (!stop.IsCancellationRequested)
            {
                var max = (int)(await cmd.ExecuteScalarAsync())!;
                observed = Math.Max(observed, max);
                samples++;
            }
        });

        var claimed = await Task.WhenAll(stores.Select((store, h) => Task.Run(async () =>
        {
            var mine = new List<TaskRun>();
            for (var round = 0; round < 40; round++)
            {
                var batch = await store.ClaimTasksAsync(PgSchema.Claim("host-" + h, max: 3), CancellationToken.None);
                mine.AddRange(batch);
                await store.CompleteTasksAsync(batch.Select(t => new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null)).ToList(), CancellationToken.None);
            }

            return mine;
        })));
        await stop.CancelAsync();
        await observer;

        Assert.That(samples, Is.GreaterThan(0));
        Assert.That(observed, Is.InRange(1, PerKey), "the observer saw a key above its limit (or never saw one running)");
        var all = claimed.SelectMany(c => c).ToList();
        Assert.That(all.Select(t => t.Id), Is.Unique, "a task was claimed twice");
        Assert.That(all, Has.Count.EqualTo(80), "every task, keyed or not, was claimed once the hosts were done");
    }

    [Test]
    public async Task CreateRuns_BatchLargeEnoughForCopy_KeyedTasksKeepTheirLimit()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = new OrchestrationClient(store, store, Options.Create(new EngineOptions { KeyLimits = { new KeyLimit { Key = "k", MaxRunning = 2 } } }));
        // Enough runs in one call that the store writes them with COPY instead of one statement.
        var specs = Enumerable.Range(0, PostgresStore.CopyThreshold + 10)
            .Select(_ => new RunSpec { OrgId = "org", Tasks = [new TaskSpec { Type = "work", ConcurrencyKey = "k" }] })
            .ToList();
        await client.CreateRunsAsync(specs);

        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("h", max: 50), CancellationToken.None);

        Assert.That(claimed, Has.Count.EqualTo(2), "a bulk-created keyed task was claimed past its key's limit");
    }

    [Test]
    public async Task ClaimTasks_SaturatedKeyWithLargeBacklog_FastPathStillClaimsUnkeyedWork()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = new OrchestrationClient(store, store, Options.Create(new EngineOptions { KeyLimits = { new KeyLimit { Key = "k", MaxRunning = 1 } } }));
        await client.CreateRunAsync(new RunSpec { OrgId = "org", Tasks = [.. Enumerable.Range(0, 2000).Select(i => new TaskSpec { Name = "held" + i, Type = "work", Priority = 5, ConcurrencyKey = "k" })] });
        Assert.That(await store.ClaimTasksAsync(PgSchema.Claim("h"), CancellationToken.None), Has.Count.EqualTo(1));
        await client.CreateRunAsync(new RunSpec { OrgId = "org", Tasks = [.. Enumerable.Range(0, 10).Select(i => new TaskSpec { Name = "free" + i, Type = "work" })] });

        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("h"), CancellationToken.None);

        Assert.That(claimed.Select(t => t.Name), Is.EquivalentTo(Enumerable.Range(0, 10).Select(i => "free" + i)));
        await using var cmd = schema.DataSource.CreateCommand($"SELECT \"{schema.Name}\".keyed_work_ready('{{}}'::text[], NULL, now())");
        Assert.That(await cmd.ExecuteScalarAsync(), Is.False, "a key at its limit must not send claims to the exclusive path");
    }
}
