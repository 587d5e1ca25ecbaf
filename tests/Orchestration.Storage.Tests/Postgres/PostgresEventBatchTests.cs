using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

/// <summary>
/// How the Postgres store lays events out (migration 0020): one event_batches row per statement, org and event type,
/// at most 4,096 events a row, purged in place, and an upgrade that keeps every earlier event and cursor valid.
/// </summary>
public sealed class PostgresEventBatchTests
{
    [Test]
    public async Task ClaimAndComplete_TenRunsInOneOrg_OneEventRowPerStatementAndType()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        await client.CreateRunsAsync(Enumerable.Range(0, 10).Select(_ => new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] }).ToList());
        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None);
        await store.CompleteTasksAsync(claimed.Select(t => new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null)).ToList(), CancellationToken.None);

        var rows = await ReadAsync(schema, "SELECT type || ':' || cardinality(run_ids) FROM {s}.event_batches ORDER BY seq");
        var single = await ScalarAsync(schema, "SELECT count(*) FROM {s}.events");

        Assert.That(rows, Is.EqualTo(new[] { "run.created:10", "run.started:10", "task.started:10", "task.completed:10", "run.completed:10" }));
        Assert.That(single, Is.Zero, "the hot path writes no row per event");
        Assert.That(await store.ReadEventsAsync(0, 1000, null, CancellationToken.None), Has.Count.EqualTo(50));
    }

    [Test]
    public async Task CreateAndClaim_MoreEventsThanARowHolds_SplitIntoRowsWithUniqueOrderedSequences()
    {
        const int n = PostgresEventSql.MaxBatch + 5;
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        var runs = (await client.CreateRunsAsync(Enumerable.Range(0, n).Select(_ => new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] }).ToList()))
            .Select(r => r.Run.Id).ToList();
        Assert.That(await store.ClaimTasksAsync(PgSchema.Claim("x", max: n), CancellationToken.None), Has.Count.EqualTo(n));

        var rows = await ReadAsync(schema, "SELECT type || ':' || cardinality(run_ids) FROM {s}.event_batches ORDER BY seq");
        var events = await store.ReadEventsAsync(0, 3 * n, null, CancellationToken.None);

        var cap = PostgresEventSql.MaxBatch;
        Assert.That(rows, Is.EqualTo(new[] { $"run.created:{cap}", "run.created:5", $"run.started:{cap}", "run.started:5", $"task.started:{cap}", "task.started:5" }));
        Assert.That(events.Select(e => e.Sequence), Is.Ordered.Ascending.And.Unique);
        Assert.That(events.Where(e => e.Type == EventTypes.RunCreated).Select(e => e.RunId), Is.EqualTo(runs), "in the order the runs were created");
        Assert.That(events.Where(e => e.Type == EventTypes.TaskStarted).Select(e => e.TaskId).Distinct().Count(), Is.EqualTo(n));
    }

    [Test]
    public async Task PurgeFinishedRuns_OneRunOfABatchRow_ItsEventsGoneTheOthersKeepTheirSequences()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        var runs = (await client.CreateRunsAsync(Enumerable.Range(0, 3).Select(_ => new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] }).ToList()))
            .Select(r => r.Run.Id).ToList();
        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None);
        var first = claimed.Single(t => t.RunId == runs[0]);
        await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(first.Id, first.LeaseToken!.Value), null)], CancellationToken.None);
        var before = await store.ReadEventsAsync(0, 1000, null, CancellationToken.None);

        Assert.That(await store.PurgeFinishedRunsAsync(TimeSpan.Zero, 100, CancellationToken.None), Is.EqualTo(1));

        var after = await store.ReadEventsAsync(0, 1000, null, CancellationToken.None);
        Assert.That(after, Is.EqualTo(before.Where(e => e.RunId != runs[0]).ToList()), "the others are read with the same sequences");
        Assert.That(await ScalarAsync(schema, "SELECT count(*) FROM {s}.event_batches"), Is.EqualTo(3L), "the rows of the purged run's completion are gone");
        var mid = before.Where(e => e.Type == EventTypes.RunCreated).Select(e => e.Sequence).First();
        Assert.That(await store.ReadEventsAsync(mid, 1000, null, CancellationToken.None), Is.EqualTo(after.Where(e => e.Sequence > mid).ToList()),
            "a watermark on a purged event resumes after it");
    }

    private static readonly Guid PendingRun = Guid.Parse("01900000-0000-7000-8000-000000000201");
    private static readonly Guid RunningRun = Guid.Parse("01900000-0000-7000-8000-000000000202");
    private static readonly Guid FinishedRun = Guid.Parse("01900000-0000-7000-8000-000000000203");
    private static readonly Guid Queued = Guid.Parse("01900000-0000-7000-8000-000000000211");
    private static readonly Guid Running = Guid.Parse("01900000-0000-7000-8000-000000000212");
    private static readonly Guid Finished = Guid.Parse("01900000-0000-7000-8000-000000000213");
    private static readonly Guid Token = Guid.Parse("01900000-0000-7000-8000-0000000002ff");

    // A finished run, a pending run with a queued task and a running run whose task holds a lease, with their events as
    // the previous version wrote them: one row each, the last ones numbered past the first 4,096 (a consumer's cursor
    // can be anywhere in that range).
    private const string PreviousVersionRows = """
        INSERT INTO {s}.runs (id, org_id, kind, status, family, created_at, updated_at, started_at, completed_at) VALUES
            ('01900000-0000-7000-8000-000000000203', 'default', 'managed', 'completed', 'embedded', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours'),
            ('01900000-0000-7000-8000-000000000201', 'default', 'managed', 'pending', 'embedded', now(), now(), NULL, NULL),
            ('01900000-0000-7000-8000-000000000202', 'default', 'managed', 'running', 'embedded', now(), now(), now(), NULL);
        INSERT INTO {s}.tasks (id, run_id, org_id, name, type, status, priority, dependencies, retry_max_attempts, retry_initial_ticks,
                               retry_max_ticks, retry_factor, retry_jitter, attempt, lease_token, lease_expires_at, executor_id, enqueue,
                               remaining_deps, created_at, updated_at, queued_at, started_at, completed_at) VALUES
            ('01900000-0000-7000-8000-000000000213', '01900000-0000-7000-8000-000000000203', 'default', 'f', 'work', 'completed', 0, '{}', 3, 0, 0, 1, 0,
             1, NULL, NULL, 'old-host', true, 0, now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours'),
            ('01900000-0000-7000-8000-000000000211', '01900000-0000-7000-8000-000000000201', 'default', 'p', 'work', 'queued', 0, '{}', 3, 0, 0, 1, 0,
             0, NULL, NULL, NULL, true, 0, now(), now(), now(), NULL, NULL),
            ('01900000-0000-7000-8000-000000000212', '01900000-0000-7000-8000-000000000202', 'default', 'a', 'work', 'running', 0, '{}', 3, 0, 0, 1, 0,
             1, '01900000-0000-7000-8000-0000000002ff', now() + interval '1 hour', 'old-host', true, 0, now(), now(), now(), now(), NULL);
        INSERT INTO {s}.events (seq, org_id, run_id, task_id, type, data_json, created_at) VALUES
            (1, 'default', '01900000-0000-7000-8000-000000000203', NULL, 'run.created', NULL, now() - interval '2 hours'),
            (2, 'default', '01900000-0000-7000-8000-000000000203', NULL, 'run.started', NULL, now() - interval '2 hours'),
            (3, 'default', '01900000-0000-7000-8000-000000000203', '01900000-0000-7000-8000-000000000213', 'task.started', '{"attempt":1}', now() - interval '2 hours'),
            (4, 'default', '01900000-0000-7000-8000-000000000203', '01900000-0000-7000-8000-000000000213', 'task.completed', NULL, now() - interval '2 hours'),
            (5, 'default', '01900000-0000-7000-8000-000000000203', NULL, 'run.completed', NULL, now() - interval '2 hours'),
            (4095, 'default', '01900000-0000-7000-8000-000000000201', NULL, 'run.created', NULL, now()),
            (4096, 'default', '01900000-0000-7000-8000-000000000202', NULL, 'run.created', NULL, now()),
            (4097, 'default', '01900000-0000-7000-8000-000000000202', NULL, 'run.started', NULL, now()),
            (4098, 'default', '01900000-0000-7000-8000-000000000202', '01900000-0000-7000-8000-000000000212', 'task.started', '{"attempt":1}', now());
        SELECT setval(pg_get_serial_sequence('{s}.events', 'seq'), 4098);
        """;

    [Test]
    public async Task Migrate_PreviousVersionWithWorkInFlight_OldAndNewEventsReadAsOneOrderedStreamAndRunsFinish()
    {
        await using var schema = await PgSchema.CreateAsync();
        await PostgresMigrator.MigrateAsync(schema.DataSource, schema.Name, CancellationToken.None, upTo: 19);
        await using (var write = schema.DataSource.CreateCommand(PreviousVersionRows.Replace("{s}", "\"" + schema.Name + "\"", StringComparison.Ordinal)))
            await write.ExecuteNonQueryAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var ct = CancellationToken.None;
        var old = await store.ReadEventsAsync(0, 100, null, ct);
        Assert.That(old.Select(e => e.Sequence), Is.EqualTo(new long[] { 1, 2, 3, 4, 5, 4095, 4096, 4097, 4098 }), "earlier events keep their sequences");

        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(Running, Token), null)], ct)).Single().Applied, Is.True,
            "the lease taken before the upgrade still fences");
        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("new-host"), ct);
        Assert.That(claimed.Select(t => t.Id), Is.EqualTo(new[] { Queued }));
        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(Queued, claimed[0].LeaseToken!.Value), null)], ct)).Single().Applied, Is.True);
        var added = await PgSchema.Client(store).CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "n", Type = "work" }] }, ct);
        foreach (var id in new[] { PendingRun, RunningRun, FinishedRun })
            Assert.That((await store.GetRunAsync(Org.DefaultId, id, ct))!.Status, Is.EqualTo(RunStatus.Completed));

        var all = await store.ReadEventsAsync(0, 100, null, ct);
        Assert.That(all.Take(old.Count), Is.EqualTo(old));
        Assert.That(all.Select(e => e.Sequence), Is.Ordered.Ascending.And.Unique);
        Assert.That(all.Skip(old.Count).Select(e => (e.RunId, e.Type, e.TaskId)), Is.EqualTo(new (Guid, string, Guid?)[]
        {
            (RunningRun, EventTypes.TaskCompleted, Running),
            (RunningRun, EventTypes.RunCompleted, null),
            (PendingRun, EventTypes.RunStarted, null),
            (PendingRun, EventTypes.TaskStarted, Queued),
            (PendingRun, EventTypes.TaskCompleted, Queued),
            (PendingRun, EventTypes.RunCompleted, null),
            (added.Run.Id, EventTypes.RunCreated, null),
        }), "new events after the old, in the order they happened");

        // Cursors kept before the upgrade (a webhook's, an event stream's Last-Event-ID) resume where they were.
        foreach (var cursor in new long[] { 0, 3, 4096, 4098 })
        {
            var (read, _) = await EventPaging.ReadCommittedAllAsync(store, cursor, 2, null, ct);

            Assert.That(read, Is.EqualTo(all.Where(e => e.Sequence > cursor).ToList()), $"from {cursor}");
        }

        Assert.That(await store.PurgeFinishedRunsAsync(TimeSpan.FromHours(1), 100, ct), Is.EqualTo(1), "the run finished two hours ago");
        Assert.That((await store.ReadEventsAsync(0, 100, null, ct)).Select(e => e.RunId), Has.None.EqualTo(FinishedRun));
        Assert.That(await store.GetTaskAsync(Org.DefaultId, Finished, ct), Is.Null);
    }

    private static async Task<long> ScalarAsync(PgSchema schema, string sql)
    {
        await using var cmd = schema.DataSource.CreateCommand(sql.Replace("{s}", "\"" + schema.Name + "\"", StringComparison.Ordinal));
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<List<string>> ReadAsync(PgSchema schema, string sql)
    {
        await using var cmd = schema.DataSource.CreateCommand(sql.Replace("{s}", "\"" + schema.Name + "\"", StringComparison.Ordinal));
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }
}
