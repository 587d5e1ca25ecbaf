namespace Orchestration.Sqlite;

// Statement texts. Arguments bind by order of first appearance of each $name (see SqliteCommands).
internal static class Sql
{
    public const string Terminal = "('completed', 'failed', 'cancelled', 'skipped')";

    public const string InsertRun =
        "INSERT INTO runs (id, org_id, kind, status, family, name, input, output, error, metadata, idempotency_key, max_concurrency, deadline_at, deadline_armed, " +
        "created_at, updated_at, started_at, completed_at, unfinished) " +
        "VALUES ($id, $org, $kind, $status, $family, $name, $input, $output, $error, $metadata, $key, $maxc, $deadline, $armed, $created, $updated, $started, $completed, $unfinished)";

    public const string UpdateRun =
        "UPDATE runs SET status = $status, output = $output, error = $error, metadata = $metadata, deadline_at = $deadline, deadline_armed = $armed, " +
        "updated_at = $updated, started_at = $started, completed_at = $completed, unfinished = $unfinished WHERE id = $id";

    public const string RunIdByKey = "SELECT id FROM runs WHERE org_id = $org AND idempotency_key = $key";

    public const string InsertTask =
        "INSERT INTO tasks (id, run_id, org_id, name, type, status, priority, input, metadata, dependencies, remaining_deps, parent_task_id, " +
        "retry_max_attempts, retry_initial_delay, retry_max_delay, retry_backoff, retry_jitter, timeout, enqueue, created_at, updated_at, queued_at, completed_at) " +
        "VALUES ($id, $run, $org, $name, $type, $status, $priority, $input, $metadata, $deps, $remaining, $parent, " +
        "$rmax, $rinit, $rmaxdelay, $rback, $rjit, $timeout, $enqueue, $created, $updated, $queued, $completed)";

    public const string InsertDep = "INSERT INTO task_deps (run_id, name, dependent_seq) VALUES ($run, $name, $dep)";

    public const string TaskById = "SELECT " + TaskRow.Columns + " FROM tasks WHERE id = $id";

    public const string UpdateTask =
        "UPDATE tasks SET status = $status, output = $output, error = $error, metadata = $metadata, remaining_deps = $remaining, attempt = $attempt, " +
        "not_before = $nb, lease_token = $token, lease_expires_at = $expires, executor_id = $executor, queue_job_id = $qj, updated_at = $updated, " +
        "queued_at = $queued, started_at = $started, completed_at = $completed WHERE seq = $seq";

    public const string InsertAttempt =
        "INSERT INTO task_attempts (task_id, number, executor_id, executor_ip, started_at) VALUES ($task, $number, $executor, $ip, $started)";

    // The reference store only ever closes a task's latest attempt, and only once.
    public const string EndAttempt =
        "UPDATE task_attempts SET ended_at = $ended, outcome = $outcome, error = $error " +
        "WHERE seq = (SELECT max(seq) FROM task_attempts WHERE task_id = $task) AND ended_at IS NULL";

    // The same, when the writer still knows the rowid of the attempt it inserted at the claim.
    public const string EndAttemptBySeq = "UPDATE task_attempts SET ended_at = $ended, outcome = $outcome, error = $error WHERE seq = $seq AND ended_at IS NULL";

    public const int EventChunkLarge = 64;
    public const int EventChunkSmall = 8;

    private static readonly string[] EventInserts = [InsertEventsText(1), InsertEventsText(EventChunkSmall), InsertEventsText(EventChunkLarge)];

    /// <summary>An INSERT of <paramref name="rows"/> events (1, <see cref="EventChunkSmall"/> or <see cref="EventChunkLarge"/>):
    /// ?1 is the time shared by all rows, then org, run, task, type and data of each row.</summary>
    public static string InsertEvents(int rows) => rows switch
    {
        1 => EventInserts[0],
        EventChunkSmall => EventInserts[1],
        EventChunkLarge => EventInserts[2],
        _ => throw new ArgumentOutOfRangeException(nameof(rows)),
    };

    private static string InsertEventsText(int rows)
    {
        var sql = new System.Text.StringBuilder("INSERT INTO events (org_id, run_id, task_id, type, data, created_at) VALUES ");
        for (var r = 0; r < rows; r++)
        {
            var p = 2 + r * 5;
            sql.Append(r == 0 ? "" : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"(?{p}, ?{p + 1}, ?{p + 2}, ?{p + 3}, ?{p + 4}, ?1)");
        }

        return sql.ToString();
    }

    public const string DependentSeqs = "SELECT dependent_seq FROM task_deps WHERE run_id = $run AND name = $name ORDER BY seq";

    public const string DecrementDependent = "UPDATE tasks SET remaining_deps = remaining_deps - 1 WHERE seq = $seq AND status = 'pending'";

    public const string QueueIfReady =
        "UPDATE tasks SET status = 'queued', queued_at = $now, not_before = NULL, updated_at = $now " +
        "WHERE seq = $seq AND status = 'pending' AND remaining_deps = 0 AND enqueue = 1";

    public const string DependentsOf =
        "SELECT t.seq, t.id, t.status, t.name FROM task_deps d JOIN tasks t ON t.seq = d.dependent_seq WHERE d.run_id = $run AND d.name = $name ORDER BY d.seq";

    public const string SkipTask = "UPDATE tasks SET status = 'skipped', completed_at = $now, updated_at = $now WHERE seq = $seq";

    public const string FirstFailedTask =
        "SELECT name, status FROM tasks WHERE run_id = $run AND status IN ('failed', 'cancelled') ORDER BY seq LIMIT 1";

    public const string AnySkippedTask = "SELECT EXISTS (SELECT 1 FROM tasks WHERE run_id = $run AND status = 'skipped')";

    public const string NextRetryAfter = "SELECT min(not_before) FROM tasks WHERE status = 'retrying' AND not_before > $now";
}

// Batch reads: one execution per batch, keys passed as a JSON array (see JsonRows) expanded with json_each.
internal static class BulkSql
{
    public const string TasksByIds = "SELECT " + TaskRow.Columns + " FROM tasks WHERE id IN (SELECT value FROM json_each($ids))";

    public const string RunsByIds = "SELECT " + RunRow.Columns + " FROM runs WHERE id IN (SELECT value FROM json_each($ids))";

    // Rows: [run id, name]. Returns every dependent listing of those tasks in listing order.
    public const string DependentsOf =
        "SELECT d.run_id, d.name, d.dependent_seq FROM json_each($rows) j JOIN task_deps d ON d.run_id = j.value->>0 AND d.name = j.value->>1 ORDER BY d.seq";

    // For finalisation: per run, its first failed or cancelled task, else any skipped one (skipped rows sort last).
    // "+status" keeps the status out of the index search: one seek per run and a walk of its tasks, instead of a seek per
    // (run, status) pair, which cost three times as much for the common small run.
    public const string FailureOfRuns =
        "SELECT run_id, name, status FROM tasks WHERE run_id IN (SELECT value FROM json_each($ids)) AND +status IN ('failed', 'cancelled', 'skipped') " +
        "ORDER BY run_id, status = 'skipped', seq";
}
