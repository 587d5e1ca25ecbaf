using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

// The job queue API's executor path (claim, then the job's lookups on every complete and heartbeat) and a host's worker
// naming types that have no queued work must not grow with the backlog (migration 0023). Counting the entries every
// scan of the schema reads (index entries and sequential-scan rows) makes the shape visible without timing anything:
// the same statement on the same data reads the same count. Each statement runs in a transaction rolled back after,
// so the state measured at 20 queued jobs is the one measured at 2,020 but for the jobs added behind it. Autovacuum is
// off for the schema's tables so that each case runs with the statistics it names: none (a fresh database) or taken
// right before each measurement (the store analyzes after a bulk enqueue), as plans depend on them.
public sealed class PostgresJobQueueClaimShapeTests
{
    private const int Small = 20;
    private const int Large = 2_000;
    private static readonly string[] WorkerTypes = ["etl", "ml_training", "ci", "generic"];

    [TestCase(false)]
    [TestCase(true)]
    public async Task ClaimCandidates_JobQueueClaimAt20And2020QueuedJobs_ReadsTheSameEntries(bool analyzed)
    {
        await using var schema = await PgSchema.CreateAsync();
        var client = PgSchema.Client(await StoreWithoutAutovacuumAsync(schema));
        const string claim = "SELECT count(*) FROM {s}.claim_candidates(ARRAY['exec'], 'default', 'jobs', now(), 1, true)";

        await QueueJobsAsync(client, Small, schema, analyzed);
        var (claimedSmall, small) = await EntriesReadAsync<long>(schema, claim);
        await QueueJobsAsync(client, Large, schema, analyzed);
        var (claimedLarge, large) = await EntriesReadAsync<long>(schema, claim);

        Assert.That((claimedSmall, claimedLarge), Is.EqualTo((1L, 1L)), "each claim finds the first job");
        Assert.That(large, Is.LessThanOrEqualTo(small + 2), $"{small} entries at {Small} queued jobs, {large} at {Small + Large}: the family is one probe of the job's run, not a hash of every run");
        Assert.That(large, Is.LessThan(20), "a seek into the queue and one into the runs");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task ClaimCandidates_WorkerTypesWithNoQueuedWorkAt20And2020QueuedJobs_ReadsNoQueuedEntry(bool analyzed)
    {
        await using var schema = await PgSchema.CreateAsync();
        var client = PgSchema.Client(await StoreWithoutAutovacuumAsync(schema));
        var claim = "SELECT count(*) FROM {s}.claim_candidates(ARRAY['" + string.Join("','", WorkerTypes) + "'], NULL, NULL, now(), 10, true)";

        await QueueJobsAsync(client, Small, schema, analyzed);
        var (claimedSmall, small) = await EntriesReadAsync<long>(schema, claim);
        await QueueJobsAsync(client, Large, schema, analyzed);
        var (claimedLarge, large) = await EntriesReadAsync<long>(schema, claim);

        Assert.That((claimedSmall, claimedLarge), Is.EqualTo((0L, 0L)), "no task of these types waits");
        Assert.That((small, large), Is.EqualTo((0L, 0L)), "one empty seek per type: no queued job read, however many wait");
    }

    // The lookups run as the store runs them: prepared (it turns on automatic preparation) and so, after a few
    // executions, with generic plans, costed without the values.
    [TestCase(false)]
    [TestCase(true)]
    public async Task JobLookups_At2020QueuedJobsAnd500JustCompleted_ReadAHandfulOfEntries(bool analyzed)
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await StoreWithoutAutovacuumAsync(schema);
        var client = PgSchema.Client(store);
        await QueueJobsAsync(client, Small, schema, analyzed);
        var job = (await store.ClaimTasksAsync(JobQueueClaim(), CancellationToken.None)).Single();
        var args = new Dictionary<string, object> { ["runId"] = job.RunId, ["taskId"] = job.Id, ["orgId"] = Org.DefaultId };
        string[] lookups =
        [
            PostgresSql.TasksOfRunInOrg,
            PostgresSql.AttemptsOfTaskInOrg,
            "SELECT " + PostgresRows.RunCounters + " FROM {s}.runs r WHERE r.id = @runId AND r.org_id = @orgId",
        ];

        var small = new List<long>();
        foreach (var sql in lookups) small.Add((await EntriesReadAsync<object>(schema, sql, args)).Entries);
        await QueueJobsAsync(client, Large, schema, analyzed);
        // 500 jobs run and completed while a snapshot older than them stays open, as other hosts' transactions do in the
        // middle of a drain: until a vacuum, the partial index of running tasks keeps an entry for each of them.
        await using var snapshot = await OpenSnapshotAsync(schema);
        for (var completed = 0; completed < 500;)
        {
            var claimed = await store.ClaimTasksAsync(JobQueueClaim() with { Max = 250 }, CancellationToken.None);
            var results = await store.CompleteTasksAsync([.. claimed.Select(t => new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null))], CancellationToken.None);
            completed += results.Count(r => r.Applied);
        }

        if (analyzed) await ExecuteAsync(schema, "ANALYZE {s}.tasks, {s}.runs, {s}.attempts");
        var large = new List<long>();
        foreach (var sql in lookups) large.Add((await EntriesReadAsync<object>(schema, sql, args)).Entries);

        // At 20 jobs the planner may scan the tables of 20 rows outright (its statistics say they are that small); at
        // 2,020, 500 of them just completed, each lookup must still read a handful of entries, not a share of the backlog.
        Assert.That(large, Has.All.LessThan(10),
            $"the job's task, its attempts and its run's counters are found through the job, not the org's tasks or the running ones (read {string.Join(", ", large)}; at {Small} queued: {string.Join(", ", small)})");
    }

    private static ClaimTasksParams JobQueueClaim() => PgSchema.Claim("executor", max: 1) with { Types = ["exec"], Family = "jobs", OrgId = Org.DefaultId };

    private static async Task<PostgresStore> StoreWithoutAutovacuumAsync(PgSchema schema)
    {
        var store = await schema.StoreAsync(TimeProvider.System);
        await ExecuteAsync(schema, "ALTER TABLE {s}.tasks SET (autovacuum_enabled = false); ALTER TABLE {s}.runs SET (autovacuum_enabled = false)");
        return store;
    }

    // Jobs as the job queue API's bulk submission creates them: one run of the jobs family with one exec task each, in
    // batches below the size after which the store analyzes in the background (PostgresStore.AnalyzeAfterCopiedTasks),
    // so that the statistics are the ones the case names when it measures.
    private static async Task QueueJobsAsync(IOrchestrationClient client, int count, PgSchema schema, bool analyzed)
    {
        foreach (var batch in Enumerable.Range(0, count).Chunk(PostgresStore.AnalyzeAfterCopiedTasks / 2))
        {
            await client.CreateRunsAsync([.. batch.Select(_ => new RunSpec { Family = "jobs", Tasks = [new TaskSpec { Name = "job", Type = "exec" }] })]);
        }

        if (analyzed) await ExecuteAsync(schema, "ANALYZE {s}.tasks, {s}.runs");
    }

    private static async Task<Npgsql.NpgsqlConnection> OpenSnapshotAsync(PgSchema schema)
    {
        var connection = await schema.DataSource.OpenConnectionAsync();
        var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using var take = new Npgsql.NpgsqlCommand("SELECT 1", connection, snapshot);
        await take.ExecuteScalarAsync();
        return connection;
    }

    private static async Task ExecuteAsync(PgSchema schema, string sql)
    {
        await using var cmd = schema.DataSource.CreateCommand(sql.Replace("{s}", $"\"{schema.Name}\"", StringComparison.Ordinal));
        await cmd.ExecuteNonQueryAsync();
    }

    // The statement's first value and the entries every scan of the schema's tables and indexes returned for it (dead
    // index entries included), from the session's own counters read before and after, in a transaction rolled back.
    private static async Task<(T Value, long Entries)> EntriesReadAsync<T>(PgSchema schema, string sql, IReadOnlyDictionary<string, object>? parameters = null)
    {
        var counters = $"""
            SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(c.oid)), 0)::bigint FROM pg_class c
            WHERE c.relnamespace = '"{schema.Name}"'::regnamespace AND c.relkind IN ('r', 'i')
            """;
        await using var connection = await schema.DataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using var counter = new Npgsql.NpgsqlCommand(counters, connection, tx);
        var before = (long)(await counter.ExecuteScalarAsync())!;
        T value;
        await using (var run = new Npgsql.NpgsqlCommand(sql.Replace("{s}", $"\"{schema.Name}\"", StringComparison.Ordinal), connection, tx))
        {
            if (parameters is not null)
            {
                await using (var generic = new Npgsql.NpgsqlCommand("SET LOCAL plan_cache_mode = force_generic_plan", connection, tx))
                    await generic.ExecuteNonQueryAsync();
                foreach (var (name, v) in parameters) run.Parameters.AddWithValue(name, v);
                await run.PrepareAsync();
            }

            value = (T)(await run.ExecuteScalarAsync())!;
        }

        var entries = (long)(await counter.ExecuteScalarAsync())! - before;
        await tx.RollbackAsync();
        return (value, entries);
    }
}
