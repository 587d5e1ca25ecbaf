namespace Orchestration.Sqlite;

// Statement texts. Arguments bind by order of first appearance of each $name (see SqliteCommands).
internal static class Sql
{
    public const string Terminal = "('completed', 'failed', 'cancelled', 'skipped')";

    public const string InsertRun =
        "INSERT INTO runs (id, org_id, kind, status, family, name, input, metadata, idempotency_key, max_concurrency, deadline_at, deadline_armed, created_at, updated_at, unfinished) " +
        "VALUES ($id, $org, $kind, $status, $family, $name, $input, $metadata, $key, $maxc, $deadline, $armed, $created, $updated, $unfinished)";

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

    public const string InsertEvent =
        "INSERT INTO events (org_id, run_id, task_id, type, data, created_at) VALUES ($org, $run, $task, $type, $data, $created)";

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

// Batch forms: one execution per batch, rows passed as a JSON array of arrays (see JsonRows); ORDER BY j.key keeps the
// caller's order, which is what gives events and tasks their sequence order.
internal static class BulkSql
{
    public const string InsertRuns =
        "INSERT INTO runs (id, org_id, kind, status, family, name, input, output, error, metadata, idempotency_key, max_concurrency, deadline_at, deadline_armed, " +
        "created_at, updated_at, started_at, completed_at, unfinished) " +
        "SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5, j.value->>6, j.value->>7, j.value->>8, j.value->>9, j.value->>10, " +
        "j.value->>11, j.value->>12, j.value->>13, j.value->>14, j.value->>15, j.value->>16, j.value->>17, j.value->>18 FROM json_each($rows) j ORDER BY j.key";

    public const string UpdateRuns =
        "UPDATE runs SET status = j.value->>1, output = j.value->>2, error = j.value->>3, metadata = j.value->>4, deadline_at = j.value->>5, deadline_armed = j.value->>6, " +
        "updated_at = j.value->>7, started_at = j.value->>8, completed_at = j.value->>9, unfinished = j.value->>10 FROM json_each($rows) j WHERE runs.id = j.value->>0";

    public const string InsertTasks =
        "INSERT INTO tasks (id, run_id, org_id, name, type, status, priority, input, metadata, dependencies, remaining_deps, parent_task_id, " +
        "retry_max_attempts, retry_initial_delay, retry_max_delay, retry_backoff, retry_jitter, timeout, enqueue, created_at, updated_at, queued_at, completed_at) " +
        "SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5, j.value->>6, j.value->>7, j.value->>8, j.value->>9, j.value->>10, " +
        "j.value->>11, j.value->>12, j.value->>13, j.value->>14, j.value->>15, j.value->>16, j.value->>17, j.value->>18, j.value->>19, j.value->>20, j.value->>21, " +
        "j.value->>22 FROM json_each($rows) j ORDER BY j.key";

    // Rows: [run id, dependency name, dependent name]; the dependent's seq is looked up by its unique (run, name).
    public const string InsertDeps =
        "INSERT INTO task_deps (run_id, name, dependent_seq) SELECT j.value->>0, j.value->>1, t.seq FROM json_each($rows) j " +
        "JOIN tasks t ON t.run_id = j.value->>0 AND t.name = j.value->>2 ORDER BY j.key";

    public const string UpdateTasks =
        "UPDATE tasks SET status = j.value->>1, output = j.value->>2, error = j.value->>3, metadata = j.value->>4, remaining_deps = j.value->>5, attempt = j.value->>6, " +
        "not_before = j.value->>7, lease_token = j.value->>8, lease_expires_at = j.value->>9, executor_id = j.value->>10, queue_job_id = j.value->>11, " +
        "updated_at = j.value->>12, queued_at = j.value->>13, started_at = j.value->>14, completed_at = j.value->>15 FROM json_each($rows) j WHERE tasks.seq = j.value->>0";

    public const string InsertAttempts =
        "INSERT INTO task_attempts (task_id, number, executor_id, executor_ip, started_at) " +
        "SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4 FROM json_each($rows) j ORDER BY j.key";

    // The reference store only ever closes a task's latest attempt, and only once.
    public const string EndAttempts =
        "UPDATE task_attempts SET ended_at = j.value->>1, outcome = j.value->>2, error = j.value->>3 FROM json_each($rows) j " +
        "WHERE task_attempts.seq = (SELECT max(a.seq) FROM task_attempts a WHERE a.task_id = j.value->>0) AND task_attempts.ended_at IS NULL";

    public const string InsertEvents =
        "INSERT INTO events (org_id, run_id, task_id, type, data, created_at) " +
        "SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5 FROM json_each($rows) j ORDER BY j.key";

    public const string TasksByIds = "SELECT " + TaskRow.Columns + " FROM tasks WHERE id IN (SELECT value FROM json_each($ids))";

    public const string RunsByIds = "SELECT " + RunRow.Columns + " FROM runs WHERE id IN (SELECT value FROM json_each($ids))";

    // Rows: [run id, name]. Returns every dependent listing of those tasks in listing order.
    public const string DependentsOf =
        "SELECT d.run_id, d.name, d.dependent_seq FROM json_each($rows) j JOIN task_deps d ON d.run_id = j.value->>0 AND d.name = j.value->>1 ORDER BY d.seq";

    // For finalisation: per run, its first failed or cancelled task, else any skipped one (skipped rows sort last).
    public const string FailureOfRuns =
        "SELECT run_id, name, status FROM tasks WHERE run_id IN (SELECT value FROM json_each($ids)) AND status IN ('failed', 'cancelled', 'skipped') " +
        "ORDER BY run_id, status = 'skipped', seq";
}
