using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Sqlite;

namespace Orchestration.Storage.Tests.Sqlite;

/// <summary>
/// How the SQLite store lays events out (migration 0019): one event_batches row per transaction and org, at most 4,096
/// events a row, purged in place, and an upgrade that keeps every earlier event and cursor valid.
/// </summary>
public sealed class SqliteEventBatchTests
{
    private const int EventBatchesVersion = 19;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Test]
    public async Task ClaimAndComplete_TenRunsInOneOrg_OneEventRowPerTransaction()
    {
        using var db = new TempDatabase();
        using var store = new SqliteStore(db.ConnectionString, _time);
        await store.InitializeAsync(CancellationToken.None);
        await Client(store).CreateRunsAsync(Enumerable.Range(0, 10).Select(_ => new RunSpec { OrgId = "org-a", Tasks = [new TaskSpec { Name = "a", Type = "work" }] }).ToList());
        var claimed = await store.ClaimTasksAsync(Claim(100), CancellationToken.None);
        await store.CompleteTasksAsync(claimed.Select(t => new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null)).ToList(), CancellationToken.None);

        var rows = Query(db, "SELECT live FROM event_batches ORDER BY seq", r => r.GetInt64(0));

        Assert.That(rows, Is.EqualTo(new long[] { 10, 20, 20 }), "run.created; run.started and task.started; task.completed and run.completed");
        Assert.That(Query(db, "SELECT count(*) FROM events", r => r.GetInt64(0)).Single(), Is.Zero);
        Assert.That(await store.ReadEventsAsync(0, 1000, null, CancellationToken.None), Has.Count.EqualTo(50));
    }

    [Test]
    public async Task CreateRuns_MoreEventsThanARowHolds_SplitWithUniqueOrderedSequences()
    {
        const int n = SqliteEventBatches.MaxBatch + 5;
        using var db = new TempDatabase();
        using var store = new SqliteStore(db.ConnectionString, _time);
        await store.InitializeAsync(CancellationToken.None);
        var runs = (await Client(store).CreateRunsAsync(Enumerable.Range(0, n).Select(_ => new RunSpec { OrgId = "org-a", Tasks = [new TaskSpec { Name = "a", Type = "work" }] }).ToList()))
            .Select(r => r.Run.Id).ToList();

        var events = await store.ReadEventsAsync(0, 2 * n, null, CancellationToken.None);

        Assert.That(Query(db, "SELECT live FROM event_batches ORDER BY seq", r => r.GetInt64(0)), Is.EqualTo(new long[] { SqliteEventBatches.MaxBatch, 5 }));
        Assert.That(events.Select(e => e.Sequence), Is.Ordered.Ascending.And.Unique);
        Assert.That(events.Select(e => e.RunId), Is.EqualTo(runs));
    }

    [Test]
    public async Task Retention_OneRunOfABatchRow_ItsEventsGoneTheOthersKeepTheirSequences()
    {
        using var db = new TempDatabase();
        using var store = new SqliteStore(db.ConnectionString, _time);
        await store.InitializeAsync(CancellationToken.None);
        var runs = (await Client(store).CreateRunsAsync(Enumerable.Range(0, 3).Select(_ => new RunSpec { OrgId = "org-a", Tasks = [new TaskSpec { Name = "a", Type = "work" }] }).ToList()))
            .Select(r => r.Run.Id).ToList();
        var claimed = await store.ClaimTasksAsync(Claim(100), CancellationToken.None);
        var first = claimed.Single(t => t.RunId == runs[0]);
        await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(first.Id, first.LeaseToken!.Value), null)], CancellationToken.None);
        var before = await store.ReadEventsAsync(0, 1000, null, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(2));

        var result = await store.DeleteExpiredRunsAsync(new RetentionPass
        {
            Targets = [new RetentionTarget("completed", RetentionState.Completed, new RunMatch(null, null), TimeSpan.FromHours(1), [])],
            BatchSize = 100,
        }, CancellationToken.None);

        Assert.That(result.TotalRuns, Is.EqualTo(1));
        var after = await store.ReadEventsAsync(0, 1000, null, CancellationToken.None);
        Assert.That(after, Is.EqualTo(before.Where(e => e.RunId != runs[0]).ToList()), "the others are read with the same sequences");
        Assert.That(Query(db, "SELECT live FROM event_batches ORDER BY seq", r => r.GetInt64(0)), Is.EqualTo(new long[] { 2, 4 }), "the completion's row is gone");
        var purged = before.First().Sequence;
        Assert.That(await store.ReadEventsAsync(purged, 1000, null, CancellationToken.None), Is.EqualTo(after.Where(e => e.Sequence > purged).ToList()),
            "a watermark on a purged event resumes after it");
    }

    // Rows as the version before batches wrote them: a finished run, a pending run with a queued task and a running run
    // whose task holds a lease, with their events one row each, numbered past the first 4,096.
    [Test]
    public async Task Initialize_PreviousVersionWithWorkInFlight_OldAndNewEventsReadAsOneOrderedStreamAndRunsFinish()
    {
        using var db = new TempDatabase();
        var t0 = _time.GetUtcNow();
        Guid pendingRun = Guid.NewGuid(), runningRun = Guid.NewGuid(), finishedRun = Guid.NewGuid(), queuedTask = Guid.NewGuid(), runningTask = Guid.NewGuid(), lease = Guid.NewGuid();
        using (var connection = new SqliteConnection(db.ConnectionString + ";Pooling=False"))
        {
            connection.Open();
            using var previous = new SqliteCommands(connection, cache: false);
            SqliteMigrator.Apply(previous, _time, maxVersion: EventBatchesVersion - 1);
            const string run =
                "INSERT INTO runs (id, org_id, kind, status, family, created_at, updated_at, started_at, completed_at, unfinished) " +
                "VALUES ($id, 'org-a', 'managed', $status, 'jobs', $t, $t, $started, $completed, $unfinished)";
            previous.Exec(run, finishedRun, "completed", t0, t0, t0, 0);
            previous.Exec(run, pendingRun, "pending", t0, null, null, 1);
            previous.Exec(run, runningRun, "running", t0, t0, null, 1);
            const string task =
                "INSERT INTO tasks (id, run_id, org_id, name, type, status, priority, retry_max_attempts, retry_initial_delay, retry_max_delay, " +
                "retry_backoff, retry_jitter, attempt, lease_token, lease_expires_at, executor_id, enqueue, created_at, updated_at, queued_at, started_at) " +
                "VALUES ($id, $run, 'org-a', 'job', 'work', $status, 0, 3, 0, 0, 2.0, 0, $attempt, $lease, $expires, $executor, 1, $t, $t, $t, $started)";
            previous.Exec(task, queuedTask, pendingRun, "queued", 0, null, null, null, t0, null);
            previous.Exec(task, runningTask, runningRun, "running", 1, lease, t0.AddMinutes(5), "old-executor", t0, t0);
            const string evt = "INSERT INTO events (seq, org_id, run_id, task_id, type, data, created_at) VALUES ($seq, 'org-a', $run, $task, $type, NULL, $t)";
            previous.Exec(evt, 1L, finishedRun, null, "run.created", t0);
            previous.Exec(evt, 2L, finishedRun, null, "run.completed", t0);
            previous.Exec(evt, 4095L, pendingRun, null, "run.created", t0);
            previous.Exec(evt, 4096L, runningRun, null, "run.created", t0);
            previous.Exec(evt, 4097L, runningRun, null, "run.started", t0);
            previous.Exec(evt, 4098L, runningRun, runningTask, "task.started", t0);
        }

        using var store = new SqliteStore(db.ConnectionString, _time);
        await store.InitializeAsync(CancellationToken.None);
        var ct = CancellationToken.None;
        var old = await store.ReadEventsAsync(0, 100, null, ct);
        Assert.That(old.Select(e => e.Sequence), Is.EqualTo(new long[] { 1, 2, 4095, 4096, 4097, 4098 }), "earlier events keep their sequences");

        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(runningTask, lease), null)], ct)).Single().Applied, Is.True,
            "the lease taken before the upgrade still completes");
        var claimed = await store.ClaimTasksAsync(Claim(10), ct);
        Assert.That(claimed.Select(t => t.Id), Is.EqualTo(new[] { queuedTask }));
        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(queuedTask, claimed[0].LeaseToken!.Value), null)], ct)).Single().Applied, Is.True);
        foreach (var id in new[] { pendingRun, runningRun }) Assert.That((await store.GetRunAsync("org-a", id, ct))!.Status, Is.EqualTo(RunStatus.Completed));

        var all = await store.ReadEventsAsync(0, 100, null, ct);
        Assert.That(all.Take(old.Count), Is.EqualTo(old));
        Assert.That(all.Select(e => e.Sequence), Is.Ordered.Ascending.And.Unique);
        Assert.That(all.Skip(old.Count).Select(e => (e.RunId, e.Type)), Is.EqualTo(new[]
        {
            (runningRun, EventTypes.TaskCompleted), (runningRun, EventTypes.RunCompleted),
            (pendingRun, EventTypes.RunStarted), (pendingRun, EventTypes.TaskStarted), (pendingRun, EventTypes.TaskCompleted), (pendingRun, EventTypes.RunCompleted),
        }), "new events after the old, in the order they happened");
        foreach (var cursor in new long[] { 0, 2, 4096, 4098 })
        {
            var (read, _) = await EventPaging.ReadCommittedAllAsync(store, cursor, 2, null, ct);

            Assert.That(read, Is.EqualTo(all.Where(e => e.Sequence > cursor).ToList()), $"from {cursor}");
        }
    }

    private static OrchestrationClient Client(SqliteStore store) => new(store, store, Options.Create(new EngineOptions()));

    private static ClaimTasksParams Claim(int max) => new() { ExecutorId = "x", Types = ["work"], Max = max, LeaseDuration = TimeSpan.FromMinutes(1) };

    private static List<T> Query<T>(TempDatabase db, string sql, Func<SqliteDataReader, T> map)
    {
        using var connection = new SqliteConnection(db.ConnectionString + ";Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(map(reader));
        return rows;
    }
}
