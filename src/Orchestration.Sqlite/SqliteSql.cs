namespace Orchestration.Sqlite;

// Statement texts. Arguments bind by order of first appearance of each $name (see SqliteCommands).
internal static class SqliteSql
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
        "queued_at = $queued, started_at = $started, completed_at = $completed, executor_ip = $ip WHERE seq = $seq";

    // An attempt is written once, when it ends; until then it is the task's lease (see AttemptsOfTaskInOrg).
    public const string InsertEndedAttempt =
        "INSERT INTO task_attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error) " +
        "VALUES ($task, $number, $executor, $ip, $started, $ended, $outcome, $error)";

    public const string DependentSeqs = "SELECT dependent_seq FROM task_deps WHERE run_id = $run AND name = $name ORDER BY seq";

    public const string DecrementDependent = "UPDATE tasks SET remaining_deps = remaining_deps - 1 WHERE seq = $seq AND status = 'pending'";

    // A task becoming ready: queued, or awaiting its review when it is an approval task (NewRun.ReadyStatus).
    private const string MakeReady = "status = CASE WHEN type = 'approval' THEN 'awaiting_approval' ELSE 'queued' END, queued_at = $now, not_before = NULL, updated_at = $now";

    public const string QueueIfReady =
        "UPDATE tasks SET " + MakeReady + " " +
        "WHERE seq = $seq AND status = 'pending' AND remaining_deps = 0 AND enqueue = 1";

    public const string DependentsOf =
        "SELECT t.seq, t.id, t.status, t.name FROM task_deps d JOIN tasks t ON t.seq = d.dependent_seq WHERE d.run_id = $run AND d.name = $name ORDER BY d.seq";

    public const string SkipTask = "UPDATE tasks SET status = 'skipped', completed_at = $now, updated_at = $now WHERE seq = $seq";

    // The first task that fails its run (RouteRules.FailsRun): cancelled, or failed without allowing it.
    public const string FirstFailedTask =
        "SELECT name, status FROM tasks WHERE run_id = $run AND status IN ('failed', 'cancelled') AND (status = 'cancelled' OR allow_failure = 0) ORDER BY seq LIMIT 1";

    // Routing (SqliteStore.Routing.cs).
    public const string SetTaskRouting = "UPDATE tasks SET routes = $routes, allow_failure = $allow WHERE run_id = $run AND name = $name";

    public const string MarkRouteSource = "UPDATE tasks SET routes_out = 1 WHERE run_id = $run AND name = $name";

    public const string SetExitCode = "UPDATE tasks SET exit_code = $code WHERE seq = $seq";

    public const string RouteStates = "SELECT seq, id, name, status, routes, exit_code, allow_failure FROM tasks WHERE run_id = $run ORDER BY seq";

    public const string TaskByRunAndName = "SELECT " + TaskRow.Columns + " FROM tasks WHERE run_id = $run AND name = $name";

    public const string SetReview =
        "UPDATE tasks SET reviewed_by = $by, reviewed_at = $at, review_approved = $approved, review_comments = $comments WHERE seq = $seq";

    public const string PendingRoutedInRun = "SELECT 1 FROM tasks WHERE run_id = $run AND status = 'pending' AND routes IS NOT NULL LIMIT 1";

    public const string QueueRouted =
        "UPDATE tasks SET " + MakeReady + " WHERE seq = $seq AND status = 'pending'";

    // The distinct types of queued tasks, one index seek each (a skip scan of ix_tasks_claim_type).
    // Fairness (SqliteStore.Fairness.cs): the distinct orgs with queued tasks without a key, one seek each in
    // ix_tasks_claim_org (a skip scan written out, as for the queued types).
    public const string SharingOrgs =
        "WITH RECURSIVE o(org) AS (SELECT (SELECT min(org_id) FROM tasks INDEXED BY ix_tasks_claim_org WHERE status = 'queued' AND limit_key IS NULL) " +
        "UNION ALL SELECT (SELECT min(org_id) FROM tasks INDEXED BY ix_tasks_claim_org WHERE status = 'queued' AND limit_key IS NULL AND org_id > o.org) FROM o WHERE o.org IS NOT NULL) " +
        "SELECT org FROM o WHERE org IS NOT NULL";

    public const string QueuedTypes =
        "WITH RECURSIVE q(type) AS (SELECT (SELECT min(type) FROM tasks WHERE status = 'queued' AND limit_key IS NULL) " +
        "UNION ALL SELECT (SELECT min(type) FROM tasks WHERE status = 'queued' AND limit_key IS NULL AND type > q.type) FROM q WHERE q.type IS NOT NULL) " +
        "SELECT type FROM q WHERE type IS NOT NULL";

    // Scheduled runs (SqliteStore.Scheduled.cs): root tasks wait pending with a not-before time (ix_tasks_scheduled).
    public const string SetRunScheduledAt = "UPDATE runs SET scheduled_at = $at WHERE id = $id";

    public const string ScheduleRootTasks =
        "UPDATE tasks SET not_before = $at WHERE run_id = $run AND status = 'pending' AND remaining_deps = 0 AND enqueue = 1";

    public const string QueueDueScheduled =
        "UPDATE tasks SET " + MakeReady + " " +
        "WHERE status = 'pending' AND not_before IS NOT NULL AND not_before <= $now";

    public const string NextScheduledAfter = "SELECT min(not_before) FROM tasks WHERE status = 'pending' AND not_before IS NOT NULL AND not_before > $now";

    // Per-key limits (SqliteStore.KeyLimits.cs). The distinct keys with queued or retrying tasks, one seek each (a skip
    // scan of ix_tasks_claim_key).
    public const string WaitingKeys =
        "WITH RECURSIVE q(k) AS (SELECT (SELECT min(limit_key) FROM tasks WHERE status IN ('queued', 'retrying') AND limit_key IS NOT NULL) " +
        "UNION ALL SELECT (SELECT min(limit_key) FROM tasks WHERE status IN ('queued', 'retrying') AND limit_key IS NOT NULL AND limit_key > q.k) " +
        "FROM q WHERE q.k IS NOT NULL) SELECT k FROM q WHERE k IS NOT NULL";

    public const string RunningOfKey =
        "SELECT count(*) FROM tasks WHERE status = 'running' AND limit_key IS NOT NULL AND limit_key = $key AND lease_expires_at IS NOT NULL";

    public const string QueuedOfKey =
        "SELECT 1 FROM tasks WHERE status IN ('queued', 'retrying') AND limit_key IS NOT NULL AND limit_key = $key LIMIT 1";

    public const string SetLimitKey = "UPDATE tasks SET limit_key = $key, limit_max = $max WHERE seq = $seq";

    // Per-key rate limits (SqliteStore.RateLimits.cs, migration 0013).
    // The limits of a key as its first waiting task carries them: running limit, starts per window, window length.
    public const string KeyLimitsOfHead =
        "SELECT limit_max, rate_max, rate_window_ms FROM tasks WHERE status IN ('queued', 'retrying') AND limit_key IS NOT NULL AND limit_key = $key ORDER BY priority DESC, seq LIMIT 1";

    public const string SetLimitKeyWithRate = "UPDATE tasks SET limit_key = $key, limit_max = $max, rate_max = $rmax, rate_window_ms = $rwin WHERE seq = $seq";

    public const string StartsInWindow = "SELECT starts FROM key_rates WHERE key = $key AND window_start_ms = $ws";

    public const string CountStarts =
        "INSERT INTO key_rates (key, window_start_ms, starts) VALUES ($key, $ws, $n) " +
        "ON CONFLICT (key) DO UPDATE SET starts = CASE WHEN window_start_ms = excluded.window_start_ms THEN starts + excluded.starts ELSE excluded.starts END, " +
        "window_start_ms = excluded.window_start_ms RETURNING starts";

    public const string NextRetryAfter = "SELECT min(not_before) FROM tasks WHERE status = 'retrying' AND not_before > $now";

    // Statements of one operation each, by concern.

    public const string RunningInRun = "SELECT count(*) FROM tasks WHERE run_id = $run AND status = 'running' AND lease_expires_at IS NOT NULL";

    // A queued task of the run: one a claim held back for the run's concurrency limit (through ux_tasks_run_name).
    public const string QueuedInRun = "SELECT 1 FROM tasks WHERE run_id = $run AND status = 'queued' LIMIT 1";

    public const string RunningOfType = "SELECT count(*) FROM tasks WHERE status = 'running' AND lease_expires_at IS NOT NULL AND type = $type";

    public const string LeasesByIds = "SELECT id, seq, status, lease_token FROM tasks WHERE id IN (SELECT value FROM json_each($ids))";

    public const string ExtendLease = "UPDATE tasks SET lease_expires_at = $expires, updated_at = $now WHERE seq = $seq";

    public const string TaskStatusByName = "SELECT status FROM tasks WHERE run_id = $run AND name = $name";

    public const string RunIdOfTask = "SELECT run_id FROM tasks WHERE id = $id";

    public const string TasksOfRun = "SELECT " + TaskRow.Columns + " FROM tasks WHERE run_id = $run ORDER BY seq";

    public const string ExpiredLeases = "SELECT " + TaskRow.Columns + " FROM tasks WHERE status = 'running' AND lease_expires_at <= $now ORDER BY lease_expires_at, seq LIMIT $limit";

    public const string DueRuns = "SELECT id FROM runs WHERE deadline_armed = 1 AND deadline_at <= $now AND status NOT IN ('completed', 'failed', 'cancelled') ORDER BY deadline_at, seq LIMIT $limit";

    public const string InsertRunData =
        "INSERT INTO run_data (id, org_id, run_id, task_id, key, value, tags, metadata, created_at, updated_at) " +
        "VALUES ($id, $org, $run, $task, $key, $value, $tags, $metadata, $created, $updated)";

    public const string DeleteRunData = "DELETE FROM run_data WHERE run_id = $run AND (key = $key OR id = $id)";

    public const string RunDataById = "SELECT " + RunDataRows.Columns + " FROM run_data WHERE run_id = $run AND id = $id";

    public const string UpdateRunDataTags = "UPDATE run_data SET tags = $tags, updated_at = $now WHERE seq = $seq";

    public const string CountTasksOfRun = "SELECT count(*), coalesce(sum(status = 'completed'), 0), coalesce(sum(status = 'failed'), 0) FROM tasks WHERE run_id = $run";

    public const string RunInOrg = "SELECT " + RunRow.Columns + " FROM runs WHERE id = $id AND org_id = $org";

    public const string RunByKey = "SELECT " + RunRow.Columns + " FROM runs WHERE org_id = $org AND idempotency_key = $key";

    public const string TaskInOrg = "SELECT " + TaskRow.Columns + " FROM tasks WHERE id = $id AND org_id = $org";

    // "+org_id": without statistics SQLite chose ix_tasks_org for its free ORDER BY seq and read every task of the org.
    public const string TasksOfRunInOrg = "SELECT " + TaskRow.Columns + " FROM tasks WHERE run_id = $run AND +org_id = $org ORDER BY seq";

    // Ended attempts in order, then the one in progress, read from the task holding the lease.
    public const string AttemptsOfTaskInOrg =
        "SELECT " + AttemptRows.Columns + " FROM (" +
        "SELECT a.seq AS k, " + AttemptRows.Columns + " FROM task_attempts a WHERE a.task_id = $task " +
        "AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = a.task_id AND t.org_id = $org) " +
        "UNION ALL SELECT 9223372036854775807, id, attempt, executor_id, executor_ip, started_at, NULL, NULL, NULL FROM tasks " +
        "WHERE id = $task AND org_id = $org AND status = 'running' AND lease_expires_at IS NOT NULL) ORDER BY k";

    public const string LatestRunData = "SELECT " + RunDataRows.Columns + " FROM run_data WHERE run_id = $run AND key = $key AND org_id = $org ORDER BY seq DESC LIMIT 1";

    public const string RunById = "SELECT " + RunRow.Columns + " FROM runs WHERE id = $id";

    // Orgs, API keys and the executor registry run through Dapper, so their parameters bind by name (@Name).

    public const string ApiKeyColumns =
        "id AS Id, org_id AS OrgId, name AS Name, secret_hash AS SecretHash, permissions AS Permissions, created_at AS CreatedAt, " +
        "expires_at AS ExpiresAt, revoked_at AS RevokedAt, rate_limit AS RateLimit, rate_limit_window_seconds AS RateLimitWindowSeconds";

    public const string InsertOrg = "INSERT INTO orgs (id, name, created_at) VALUES (@Id, @Name, @CreatedAt) ON CONFLICT (id) DO NOTHING";

    public const string OrgById = "SELECT id AS Id, name AS Name, created_at AS CreatedAt FROM orgs WHERE id = @orgId";

    public const string InsertApiKey =
        "INSERT INTO api_keys (id, org_id, name, secret_hash, permissions, created_at, expires_at, revoked_at, rate_limit, rate_limit_window_seconds) " +
        "VALUES (@Id, @OrgId, @Name, @SecretHash, @Permissions, @CreatedAt, @ExpiresAt, @RevokedAt, @RateLimit, @RateLimitWindowSeconds) ON CONFLICT (id) DO NOTHING";

    public const string ApiKeyById = "SELECT " + ApiKeyColumns + " FROM api_keys WHERE id = @keyId";

    public const string LiveApiKeys = "SELECT " + ApiKeyColumns + " FROM api_keys WHERE revoked_at IS NULL AND (@orgId IS NULL OR org_id = @orgId) ORDER BY created_at, seq";

    public const string RevokeApiKey = "UPDATE api_keys SET revoked_at = @now WHERE id = @keyId AND revoked_at IS NULL";

    public const string CountApiKeys = "SELECT count(*) FROM api_keys";

    public const string ExecutorsOfOrg =
        "SELECT org_id AS OrgId, executor_id AS ExecutorId, last_seen AS LastSeen, jobs_completed AS JobsCompleted, types AS Types, capacity AS Capacity " +
        "FROM executors WHERE org_id = @orgId ORDER BY executor_id";

    public const string DeleteExecutorsSeenBefore = "DELETE FROM executors WHERE last_seen < @cutoff";

    // The WHERE admits an executor already registered, or a new one while its org is under the cap; it also keeps
    // SQLite's parser from reading ON CONFLICT as part of the SELECT.
    public const string UpsertExecutor = """
        INSERT INTO executors (org_id, executor_id, last_seen, jobs_completed, types, capacity)
        SELECT @OrgId, @ExecutorId, @SeenAt, @Completed, @Types, @Capacity
        WHERE EXISTS (SELECT 1 FROM executors WHERE org_id = @OrgId AND executor_id = @ExecutorId)
           OR (SELECT count(*) FROM executors WHERE org_id = @OrgId) < @MaxPerOrg
        ON CONFLICT (org_id, executor_id) DO UPDATE SET
            last_seen = max(last_seen, excluded.last_seen),
            jobs_completed = jobs_completed + excluded.jobs_completed,
            types = coalesce(excluded.types, types),
            capacity = coalesce(excluded.capacity, capacity)
        """;
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
        "SELECT run_id, name, status FROM tasks WHERE run_id IN (SELECT value FROM json_each($ids)) AND +status IN ('failed', 'cancelled') " +
        "AND (status = 'cancelled' OR allow_failure = 0) ORDER BY run_id, seq";
}
