using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Sqlite;

namespace Orchestration.Storage.Tests.Sqlite;

public sealed class SqliteSearchMigrationTests
{
    private const int SearchVersion = 20;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    // Rows as the version before search wrote them: a pending run (searchable input) with a queued task and a running
    // run (input that is not JSON) whose task (searchable input) holds a lease, and a tagged run data entry. After the
    // upgrade the older runs are found by the new filters and their work finishes as before.
    [Test]
    public async Task Initialize_PreviousVersionWithWorkInFlight_OlderRunsSearchableAndWorkFinishes()
    {
        using var db = new TempDatabase();
        var t0 = _time.GetUtcNow();
        Guid pendingRun = Guid.NewGuid(), runningRun = Guid.NewGuid(), queuedTask = Guid.NewGuid(), runningTask = Guid.NewGuid(), lease = Guid.NewGuid();
        using (var connection = new SqliteConnection(db.ConnectionString + ";Pooling=False"))
        {
            connection.Open();
            using var previous = new SqliteCommands(connection, cache: false);
            SqliteMigrator.Apply(previous, _time, maxVersion: SearchVersion - 1);
            const string run =
                "INSERT INTO runs (id, org_id, kind, status, family, input, created_at, updated_at, started_at, unfinished) " +
                "VALUES ($id, 'org-a', 'managed', $status, 'jobs', $input, $t, $t, $started, 1)";
            previous.Exec(run, pendingRun, "pending", """{"customer":"acme"}""", t0, null);
            previous.Exec(run, runningRun, "running", "not json", t0, t0);
            const string task =
                "INSERT INTO tasks (id, run_id, org_id, name, type, status, priority, input, retry_max_attempts, retry_initial_delay, retry_max_delay, " +
                "retry_backoff, retry_jitter, attempt, lease_token, lease_expires_at, executor_id, enqueue, created_at, updated_at, queued_at, started_at) " +
                "VALUES ($id, $run, 'org-a', 'job', 'work', $status, 0, $input, 3, 0, 0, 2.0, 0, $attempt, $lease, $expires, $executor, 1, $t, $t, $t, $started)";
            previous.Exec(task, queuedTask, pendingRun, "queued", null, 0, null, null, null, t0, null);
            previous.Exec(task, runningTask, runningRun, "running", """{"attempts":3}""", 1, lease, t0.AddMinutes(5), "old-executor", t0, t0);
            previous.Exec("INSERT INTO run_data (id, org_id, run_id, key, value, tags, created_at, updated_at) VALUES ($id, 'org-a', $run, 'report', '1', '[\"release\"]', $t, $t)",
                Guid.NewGuid(), runningRun, t0);
        }

        using var store = new SqliteStore(db.ConnectionString, _time);
        await store.InitializeAsync(CancellationToken.None);
        var ct = CancellationToken.None;
        async Task<Guid[]> Ids(RunQuery q) => [.. (await store.ListRunsAsync(q, ct)).Items.Select(r => r.Id)];
        // Input fields are searchable once declared and backfilled (in batches of one run here).
        Assert.That((await store.DeclareSearchFieldsAsync(new DeclareSearchFieldsParams(["customer", "attempts"]), ct)).Added, Is.EqualTo(new[] { "attempts", "customer" }));
        while ((await store.BackfillSearchFieldsAsync(new BackfillSearchFieldsParams(1), ct)).Pending.Count > 0) { }

        Assert.That(await Ids(new RunQuery { OrgId = "org-a", InputField = "customer", InputValue = "acme" }), Is.EqualTo(new[] { pendingRun }));
        Assert.That(await Ids(new RunQuery { OrgId = "org-a", InputField = "attempts", InputValue = "3" }), Is.EqualTo(new[] { runningRun }), "a task's input");
        Assert.That(await Ids(new RunQuery { OrgId = "org-a", Tag = "release", DataKey = "report" }), Is.EqualTo(new[] { runningRun }));

        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(runningTask, lease), null)], ct)).Single().Applied, Is.True,
            "the lease taken before the upgrade still completes");
        var claimed = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "new", Types = ["work"], Max = 10, LeaseDuration = TimeSpan.FromMinutes(1) }, ct);
        Assert.That(claimed.Select(t => t.Id), Is.EqualTo(new[] { queuedTask }));
        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(queuedTask, claimed[0].LeaseToken!.Value), null)], ct)).Single().Applied, Is.True);
        foreach (var id in new[] { pendingRun, runningRun }) Assert.That((await store.GetRunAsync("org-a", id, ct))!.Status, Is.EqualTo(RunStatus.Completed));

        using var connection2 = new SqliteConnection(db.ConnectionString + ";Pooling=False");
        connection2.Open();
        using var after = new SqliteCommands(connection2, cache: false);

        // Removing every field deletes the input terms and the input triggers.
        Assert.That((await store.DeclareSearchFieldsAsync(new DeclareSearchFieldsParams([]), ct)).Removed, Is.EqualTo(new[] { "attempts", "customer" }));
        Assert.That(after.Scalar("SELECT count(*) FROM run_terms WHERE kind = 'i'"), Is.Zero);
        Assert.That(after.Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'run_terms_%' AND tbl_name IN ('runs', 'tasks')"), Is.Zero);

        // Deleting runs (as retention does) takes their terms with them.
        after.Exec("PRAGMA foreign_keys = ON");
        after.Exec("DELETE FROM events");
        after.Exec("DELETE FROM runs");
        Assert.That(after.Scalar("SELECT count(*) FROM run_terms"), Is.Zero);
    }
}
