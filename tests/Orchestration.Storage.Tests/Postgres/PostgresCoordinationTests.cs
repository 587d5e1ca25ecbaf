using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;
using Orchestration.Storage;

namespace Orchestration.Storage.Tests.Postgres;

public sealed class PostgresCoordinationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Test]
    public async Task TryLead_TwoHosts_OnlyOneLeadsUntilItsConnectionIsLost()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        await using var first = new PostgresLeaderElector(store, NullLogger<PostgresLeaderElector>.Instance);
        await using var second = new PostgresLeaderElector(store, NullLogger<PostgresLeaderElector>.Instance);

        var firstLeads = await first.TryLeadAsync(CancellationToken.None);
        var secondLeads = await second.TryLeadAsync(CancellationToken.None);
        // Only the first leader's session, and wait until it has ended: other tests share the server, and without the
        // timeout argument the call returns before the backend (and with it the lock) is gone.
        await using (var kill = schema.DataSource.CreateCommand("SELECT pg_terminate_backend($1, 10000)"))
        {
            kill.Parameters.Add(new NpgsqlParameter { Value = first.SessionProcessId!.Value });
            Assert.That(await kill.ExecuteScalarAsync(), Is.True, "the first leader's session ended");
        }

        var firstAfterLoss = await first.TryLeadAsync(CancellationToken.None);
        var secondTakesOver = await second.TryLeadAsync(CancellationToken.None);

        Assert.That(firstLeads, Is.True);
        Assert.That(secondLeads, Is.False, "two leaders at once");
        Assert.That(firstAfterLoss, Is.False, "leadership survived the loss of its connection");
        Assert.That(secondTakesOver, Is.True);
    }

    [Test]
    public async Task Migrate_TwoStoresStartTogether_BothSucceedOnce()
    {
        var server = await Orchestration.Testing.PostgresServer.Shared;
        var dataSource = await server.TestDatabaseAsync();
        var schemaName = Orchestration.Testing.PostgresServer.NewSchemaName();
        await using var a = new PostgresStore(dataSource, new PostgresStoreOptions { Schema = schemaName }, TimeProvider.System);
        await using var b = new PostgresStore(dataSource, new PostgresStoreOptions { Schema = schemaName }, TimeProvider.System);
        try
        {
            await Task.WhenAll(Task.Run(() => a.MigrateAsync(CancellationToken.None)), Task.Run(() => b.MigrateAsync(CancellationToken.None)));
            await using var cmd = dataSource.CreateCommand($"SELECT count(*) FROM \"{schemaName}\".schema_migrations");
            var applied = (long)(await cmd.ExecuteScalarAsync())!;

            Assert.That(applied, Is.EqualTo(PostgresMigrator.Load().Count));
            Assert.That(await a.PingAsync(CancellationToken.None), Is.True);
        }
        finally
        {
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schemaName}\" CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Test]
    public async Task Listener_RunCreatedByAnotherHost_WakesIdleHost()
    {
        await using var schema = await PgSchema.CreateAsync();
        var idle = await schema.StoreAsync(TimeProvider.System);
        var writer = await schema.StoreAsync(TimeProvider.System);
        using var listener = new PostgresListener(idle, NullLogger<PostgresListener>.Instance);
        await ((IHostedService)listener).StartAsync(CancellationToken.None);
        try
        {
            await listener.Listening.WaitAsync(Bound);
            var version = idle.WorkAvailable.Version;

            await PgSchema.Client(writer).CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] });
            using var cts = new CancellationTokenSource(Bound);
            await idle.WorkAvailable.WaitAsync(version, Bound, TimeProvider.System, cts.Token);

            Assert.That(idle.WorkAvailable.Version, Is.GreaterThan(version), "the idle host was not woken by NOTIFY");
        }
        finally
        {
            await ((IHostedService)listener).StopAsync(CancellationToken.None);
        }
    }

    [Test]
    public async Task Listener_RunCancelledByAnotherHost_SignalsTasksCancelled()
    {
        await using var schema = await PgSchema.CreateAsync();
        var executor = await schema.StoreAsync(TimeProvider.System);
        var api = await schema.StoreAsync(TimeProvider.System);
        using var listener = new PostgresListener(executor, NullLogger<PostgresListener>.Instance);
        await ((IHostedService)listener).StartAsync(CancellationToken.None);
        try
        {
            var run = await PgSchema.Client(api).CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] });
            await executor.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None);
            await listener.Listening.WaitAsync(Bound);
            var version = executor.TasksCancelled.Version;

            await api.CancelRunAsync(Org.DefaultId, run.Run.Id, CancellationToken.None);
            using var cts = new CancellationTokenSource(Bound);
            await executor.TasksCancelled.WaitAsync(version, Bound, TimeProvider.System, cts.Token);

            Assert.That(executor.TasksCancelled.Version, Is.GreaterThan(version));
        }
        finally
        {
            await ((IHostedService)listener).StopAsync(CancellationToken.None);
        }
    }

    [Test]
    public async Task ClaimTasks_TwoStoresOnOneDatabase_EveryTaskClaimedOnce()
    {
        await using var schema = await PgSchema.CreateAsync();
        var a = await schema.StoreAsync(TimeProvider.System);
        var b = await schema.StoreAsync(TimeProvider.System);
        await PgSchema.Client(a).CreateRunAsync(new RunSpec { Tasks = Enumerable.Range(0, 400).Select(i => new TaskSpec { Name = $"t{i}", Type = "work" }).ToList() });

        async Task<List<Guid>> Drain(PostgresStore s, string id)
        {
            var mine = new List<Guid>();
            while (true)
            {
                var batch = await s.ClaimTasksAsync(PgSchema.Claim(id, max: 13), CancellationToken.None);
                if (batch.Count == 0) return mine;
                mine.AddRange(batch.Select(t => t.Id));
                await s.CompleteTasksAsync(batch.Select(t => new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null)).ToList(), CancellationToken.None);
            }
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() => Drain(i % 2 == 0 ? a : b, $"e{i}"))));
        var all = results.SelectMany(r => r).ToList();
        var runs = await a.ListRunsAsync(new RunQuery { OrgId = Org.DefaultId }, CancellationToken.None);

        Assert.That(all, Has.Count.EqualTo(400));
        Assert.That(all.Distinct().Count(), Is.EqualTo(400), "a task was claimed twice");
        Assert.That(runs.Items.Single().Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(runs.Items.Single().CompletedTasks, Is.EqualTo(400));
    }

    [Test]
    public async Task PurgeFinishedRuns_OlderThanRetention_DeletedWithTasksDataAndEvents()
    {
        await using var schema = await PgSchema.CreateAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = await schema.StoreAsync(time, hostClock: true);
        var client = PgSchema.Client(store);
        var old = await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] });
        await client.PutRunDataAsync(Org.DefaultId, old.Run.Id, new RunDataSpec { Key = "k", ValueJson = "1" });
        var task = (await store.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None)).Single();
        await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(task.Id, task.LeaseToken!.Value), null)], CancellationToken.None);
        time.Advance(TimeSpan.FromHours(2));
        var recent = await client.CreateRunAsync(new RunSpec { Tasks = [] });

        var deleted = await store.PurgeFinishedRunsAsync(TimeSpan.FromHours(1), 100, CancellationToken.None);
        var stats = (await store.GetTableStatsAsync(CancellationToken.None)).ToDictionary(s => s.Table, s => s.Rows);

        Assert.That(deleted, Is.EqualTo(1));
        Assert.That(await store.GetRunAsync(Org.DefaultId, old.Run.Id, CancellationToken.None), Is.Null);
        Assert.That(await store.GetRunAsync(Org.DefaultId, recent.Run.Id, CancellationToken.None), Is.Not.Null);
        Assert.That(stats["runs"], Is.EqualTo(1));
        Assert.That(stats["tasks"], Is.Zero);
        Assert.That(stats["attempts"], Is.Zero);
        Assert.That(stats["run_data"], Is.Zero);
        Assert.That((await store.ReadEventsAsync(0, 100, null, CancellationToken.None)).All(e => e.RunId == recent.Run.Id), Is.True);
    }
}
