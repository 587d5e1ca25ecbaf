using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

public sealed class PostgresEnqueueTests
{
    [Test]
    public async Task CreateRun_CallerTransactionRolledBack_NoRun()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        Guid runId;
        await using (var conn = await schema.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            var result = await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] }, tx);
            runId = result.Run.Id;
            await tx.RollbackAsync();
        }

        Assert.That(await store.GetRunAsync(Org.DefaultId, runId, CancellationToken.None), Is.Null);
        Assert.That(await store.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task CreateRuns_StoreInCallerTransactionRolledBack_NoRun()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var run = new CreateRunParams
        {
            RunId = Guid.NewGuid(), OrgId = Org.DefaultId, Kind = RunKind.Managed, Family = "jobs",
            Tasks = [new NewTask { Id = Guid.NewGuid(), Name = "a", Type = "work", RetryPolicy = new RetryPolicy(1, TimeSpan.Zero, TimeSpan.Zero, 1, 0) }],
        };
        await using (var conn = await schema.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            var created = await store.CreateRunsAsync([run], tx);
            Assert.That(created[0].Created, Is.True);
            await tx.RollbackAsync();
        }

        Assert.That(await store.GetRunAsync(Org.DefaultId, run.RunId, CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task CreateRun_ClientOverAnotherStore_ThrowsAndWritesNothing()
    {
        await using var schema = await PgSchema.CreateAsync();
        var memory = new InMemory.InMemoryStore(TimeProvider.System);
        var client = new OrchestrationClient(memory, memory, Microsoft.Extensions.Options.Options.Create(new EngineOptions()));
        await using var conn = await schema.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();

        Assert.ThrowsAsync<InvalidOperationException>(() => client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] }, tx));
        Assert.That(await memory.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task CreateRuns_ThousandsByCopy_TablesAnalyzedAfterCommit()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        var specs = Enumerable.Range(0, PostgresStore.AnalyzeAfterCopiedTasks).Select(i => new RunSpec { Tasks = [new TaskSpec { Name = "t", Type = "work" }] }).ToList();

        await client.CreateRunsAsync(specs);
        await store.AnalyzeIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // reltuples is -1 until a table is first analyzed or vacuumed, and is written by ANALYZE in its own transaction.
        await using var cmd = schema.DataSource.CreateCommand("SELECT reltuples FROM pg_class WHERE oid = $1::regclass");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = $"\"{store.Schema}\".tasks" });
        Assert.That(Convert.ToDouble(await cmd.ExecuteScalarAsync()), Is.EqualTo(PostgresStore.AnalyzeAfterCopiedTasks).Within(1));
    }

    [Test]
    public async Task CreateRun_CallerTransactionCommitted_RunExistsAndIsClaimable()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        Guid runId;
        await using (var conn = await schema.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using (var own = new Npgsql.NpgsqlCommand("CREATE TEMP TABLE caller_rows (x int) ON COMMIT DROP; INSERT INTO caller_rows VALUES (1)", conn, tx))
                await own.ExecuteNonQueryAsync();
            runId = (await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] }, tx)).Run.Id;
            Assert.That(await store.GetRunAsync(Org.DefaultId, runId, CancellationToken.None), Is.Null, "visible before the caller committed");
            await tx.CommitAsync();
        }

        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None);

        Assert.That(await store.GetRunAsync(Org.DefaultId, runId, CancellationToken.None), Is.Not.Null);
        Assert.That(claimed.Select(t => t.RunId), Is.EqualTo(new[] { runId }));
    }

    // Large batches without idempotency keys are written by binary COPY instead of the unnest statement; the result
    // must be the same rows, events and behaviour.
    [TestCase(false)]
    [TestCase(true)]
    public async Task CreateRuns_LargeBatch_WrittenByCopyLikeAnyOtherCreate(bool hostClock)
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System, hostClock);
        var client = PgSchema.Client(store);
        var specs = new List<RunSpec>();
        for (var i = 0; i < PostgresStore.CopyThreshold + 44; i++)
        {
            specs.Add((i % 4) switch
            {
                0 => new RunSpec { Name = "dag", Tasks = [new TaskSpec { Name = "a", Type = "work" }, new TaskSpec { Name = "b", Type = "work", DependsOn = ["a"] }] },
                1 => new RunSpec { MaxConcurrency = 1, Timeout = TimeSpan.FromMinutes(5), Tasks = [new TaskSpec { Name = "x", Type = "limited" }, new TaskSpec { Name = "y", Type = "limited" }] },
                2 => new RunSpec { Name = "empty" },
                _ => new RunSpec { InputJson = """{"n":1}""", Tasks = [new TaskSpec { Type = "single", Priority = 3 }] },
            });
        }

        var created = await client.CreateRunsAsync(specs);

        Assert.That(created.All(c => c.Created), Is.True);
        foreach (var c in created.Take(8))
        {
            var stored = await store.GetRunAsync(c.Run.OrgId, c.Run.Id, CancellationToken.None);
            Assert.That(stored, Is.Not.Null);
            Assert.That(c.Run with { CompletedTasks = 0 }, Is.EqualTo(stored! with { CompletedTasks = 0 }));
        }

        var events = await store.ReadEventsAsync(0, 10_000, null, CancellationToken.None);
        Assert.That(events.Count(e => e.Type == "run.created"), Is.EqualTo(specs.Count));
        Assert.That(events.Count(e => e.Type == "run.completed"), Is.EqualTo(specs.Count(s => s.Name == "empty")));
        Assert.That(events.Select(e => e.RunId).Distinct().Take(4), Is.EqualTo(created.Select(c => c.Run.Id).Take(4)), "events not in creation order");

        // Dependencies were written: completing every "a" queues its "b".
        var roots = await store.ClaimTasksAsync(PgSchema.Claim("x", max: 1000) with { Types = ["work"] }, CancellationToken.None);
        Assert.That(roots.Select(t => t.Name).Distinct(), Is.EqualTo(new[] { "a" }));
        await store.CompleteTasksAsync(roots.Select(t => new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null)).ToList(), CancellationToken.None);
        var next = await store.ClaimTasksAsync(PgSchema.Claim("x", max: 1000) with { Types = ["work"] }, CancellationToken.None);
        Assert.That(next, Has.Count.EqualTo(roots.Count));
        Assert.That(next.All(t => t.Name == "b"), Is.True);

        // max_concurrency was written on the tasks too: one task per limited run.
        var limited = await store.ClaimTasksAsync(PgSchema.Claim("x", max: 1000) with { Types = ["limited"] }, CancellationToken.None);
        Assert.That(limited, Has.Count.EqualTo(specs.Count(s => s.MaxConcurrency == 1)));
    }
}
