using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Sqlite;

namespace Orchestration.Storage.Tests.Sqlite;

public sealed class SqliteMigrationTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Test]
    public async Task Initialize_FourStoresOpenNewFileConcurrently_EachMigrationAppliedOnce()
    {
        using var db = new TempDatabase();
        var stores = Enumerable.Range(0, 4).Select(_ => new SqliteStore(db.ConnectionString, _time)).ToList();
        try
        {
            using var start = new ManualResetEventSlim();
            var opens = stores.Select(s => Task.Run(async () =>
            {
                start.Wait();
                await s.InitializeAsync(CancellationToken.None);
            })).ToList();
            start.Set();
            await Task.WhenAll(opens);

            var versions = ReadVersions(db.ConnectionString);
            Assert.That(versions, Is.EqualTo(MigrationFileVersions()));
            foreach (var s in stores) Assert.That(await s.PingAsync(CancellationToken.None), Is.True);
        }
        finally
        {
            foreach (var s in stores) s.Dispose();
        }
    }

    [Test]
    public async Task Initialize_ReopenedFile_NothingAppliedAgain()
    {
        using var db = new TempDatabase();
        using (var first = new SqliteStore(db.ConnectionString, _time)) await first.InitializeAsync(CancellationToken.None);
        var appliedAt = ReadAppliedAt(db.ConnectionString);

        _time.Advance(TimeSpan.FromHours(1));
        using (var second = new SqliteStore(db.ConnectionString, _time)) await second.InitializeAsync(CancellationToken.None);

        Assert.That(ReadAppliedAt(db.ConnectionString), Is.EqualTo(appliedAt));
        using var connection = new SqliteConnection(db.ConnectionString);
        connection.Open();
        using var commands = new SqliteCommands(connection, cache: false);
        Assert.That(SqliteMigrator.Apply(commands, _time), Is.Zero);
    }

    [Test]
    public async Task Initialize_NewFile_WalJournalAndAllTables()
    {
        using var db = new TempDatabase();
        using (var store = new SqliteStore(db.ConnectionString, _time)) await store.InitializeAsync(CancellationToken.None);

        using var connection = new SqliteConnection(db.ConnectionString + ";Pooling=False");
        connection.Open();
        using var commands = new SqliteCommands(connection, cache: false);
        Assert.That(commands.Scalar("PRAGMA journal_mode"), Is.EqualTo("wal"));
        var tables = commands.Query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", r => r.GetString(0));
        Assert.That(tables, Is.SupersetOf(new[] { "api_keys", "events", "orgs", "run_data", "runs", "schema_migrations", "task_attempts", "task_deps", "tasks" }));
    }

    // Rows as schema version 2 wrote them: a pending run with a queued task, a running run whose task holds a lease with
    // its attempt row still open, and a finished run with its ended attempt.
    [Test]
    public async Task Initialize_Version2DatabaseWithWorkInFlight_ClaimsCompletesListsAndReadsAsBefore()
    {
        using var db = new TempDatabase();
        var t0 = _time.GetUtcNow();
        Guid pendingRun = Guid.NewGuid(), runningRun = Guid.NewGuid(), finishedRun = Guid.NewGuid();
        Guid queuedTask = Guid.NewGuid(), runningTask = Guid.NewGuid(), finishedTask = Guid.NewGuid(), lease = Guid.NewGuid();
        using (var connection = new SqliteConnection(db.ConnectionString + ";Pooling=False"))
        {
            connection.Open();
            using var v2 = new SqliteCommands(connection, cache: false);
            Assert.That(SqliteMigrator.Apply(v2, _time, maxVersion: 2), Is.EqualTo(2));
            const string run =
                "INSERT INTO runs (id, org_id, kind, status, family, created_at, updated_at, started_at, completed_at, unfinished) " +
                "VALUES ($id, 'org-a', 'managed', $status, 'jobs', $t, $t, $started, $completed, $unfinished)";
            v2.Exec(run, pendingRun, "pending", t0, null, null, 1);
            v2.Exec(run, runningRun, "running", t0, t0, null, 1);
            v2.Exec(run, finishedRun, "completed", t0, t0, t0, 0);
            const string task =
                "INSERT INTO tasks (id, run_id, org_id, name, type, status, priority, retry_max_attempts, retry_initial_delay, retry_max_delay, " +
                "retry_backoff, retry_jitter, attempt, lease_token, lease_expires_at, executor_id, enqueue, created_at, updated_at, queued_at, started_at, completed_at) " +
                "VALUES ($id, $run, 'org-a', 'job', 'work', $status, 0, 3, 0, 0, 2.0, 0, $attempt, $lease, $expires, $executor, 1, $t, $t, $t, $started, $completed)";
            v2.Exec(task, queuedTask, pendingRun, "queued", 0, null, null, null, t0, null, null);
            v2.Exec(task, runningTask, runningRun, "running", 1, lease, t0.AddMinutes(5), "old-executor", t0, t0, null);
            v2.Exec(task, finishedTask, finishedRun, "completed", 1, null, null, "old-executor", t0, t0, t0);
            const string attempt =
                "INSERT INTO task_attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome) VALUES ($task, 1, 'old-executor', '10.0.0.9', $t, $ended, $outcome)";
            v2.Exec(attempt, runningTask, t0, null, null);
            v2.Exec(attempt, finishedTask, t0, t0, AttemptOutcomes.Completed);
        }

        _time.Advance(TimeSpan.FromSeconds(10));
        using var store = new SqliteStore(db.ConnectionString, _time);
        await store.InitializeAsync(CancellationToken.None);
        var ct = CancellationToken.None;

        var inFlight = await store.GetAttemptsAsync("org-a", runningTask, ct);
        Assert.That(inFlight.Select(a => (a.Number, a.ExecutorId, a.ExecutorIp, a.EndedAt)),
            Is.EqualTo(new[] { (1, "old-executor", (string?)"10.0.0.9", (DateTimeOffset?)null) }), "the open attempt is shown once, from its task");
        var heartbeat = await store.HeartbeatTasksAsync(new HeartbeatTasksParams([new TaskLease(runningTask, lease)], TimeSpan.FromMinutes(1)), ct);
        Assert.That(heartbeat.Single().Outcome, Is.EqualTo(HeartbeatOutcome.Extended));
        var completed = await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(runningTask, lease), """{"done":1}""")], ct);
        Assert.That(completed.Single().Applied, Is.True, "the lease taken before the upgrade still completes");
        var ended = await store.GetAttemptsAsync("org-a", runningTask, ct);
        Assert.That(ended.Select(a => (a.ExecutorIp, a.StartedAt, a.EndedAt, a.Outcome)),
            Is.EqualTo(new[] { ((string?)"10.0.0.9", t0, (DateTimeOffset?)_time.GetUtcNow(), (string?)AttemptOutcomes.Completed) }));
        Assert.That((await store.GetRunAsync("org-a", runningRun, ct))!.Status, Is.EqualTo(RunStatus.Completed));

        var claimed = await store.ClaimTasksAsync(new ClaimTasksParams
        {
            ExecutorId = "new-executor", ExecutorIp = "10.0.0.7", Types = ["work"], OrgId = "org-a", Family = "jobs", Max = 10, LeaseDuration = TimeSpan.FromMinutes(1),
        }, ct);
        Assert.That(claimed.Select(t => t.Id), Is.EqualTo(new[] { queuedTask }), "the queued task is claimed, nothing else");
        Assert.That((await store.GetRunAsync("org-a", pendingRun, ct))!.Status, Is.EqualTo(RunStatus.Running));
        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(queuedTask, claimed[0].LeaseToken!.Value), null)], ct)).Single().Applied, Is.True);
        Assert.That((await store.GetRunAsync("org-a", pendingRun, ct))!.Status, Is.EqualTo(RunStatus.Completed));

        var listed = await store.ListTasksAsync(new TaskQuery { OrgId = "org-a", Family = "jobs", Status = TaskRunStatus.Completed }, ct);
        Assert.That(listed.Items.Select(t => t.Id), Is.EquivalentTo(new[] { queuedTask, runningTask, finishedTask }));
        var history = await store.GetAttemptsAsync("org-a", finishedTask, ct);
        Assert.That(history.Select(a => (a.Number, a.ExecutorIp, a.Outcome)), Is.EqualTo(new[] { (1, (string?)"10.0.0.9", (string?)AttemptOutcomes.Completed) }));
        Assert.That((await store.GetRunAsync("org-a", finishedRun, ct))!.Status, Is.EqualTo(RunStatus.Completed));
    }

    // The expectation comes from the migration files in the source tree, not from the migrator's own list, so a file the
    // migrator fails to embed or pick up is caught.
    private static List<long> MigrationFileVersions()
    {
        var folder = Path.Combine(Orchestration.Testing.RepoPaths.Root, "src", "Orchestration.Sqlite", "Migrations");
        var versions = Directory.GetFiles(folder, "*.sql")
            .Select(f => long.Parse(Path.GetFileName(f).Split('_')[0], System.Globalization.CultureInfo.InvariantCulture))
            .Order()
            .ToList();
        Assert.That(versions, Is.Not.Empty);
        return versions;
    }

    private static List<long> ReadVersions(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString + ";Pooling=False");
        connection.Open();
        using var commands = new SqliteCommands(connection, cache: false);
        return commands.Query("SELECT version FROM schema_migrations ORDER BY version", r => r.GetInt64(0));
    }

    private static List<long> ReadAppliedAt(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString + ";Pooling=False");
        connection.Open();
        using var commands = new SqliteCommands(connection, cache: false);
        return commands.Query("SELECT applied_at FROM schema_migrations ORDER BY version", r => r.GetInt64(0));
    }
}
