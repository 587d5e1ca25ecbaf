namespace Orchestration.Postgres;

// Statements of the retry of one failed task (PostgresStore.Retry.cs). TaskRetryRules decides which tasks change; these
// write its plan.
internal static class PostgresRetrySql
{
    internal const string LockTasksOfRun = "SELECT " + PostgresRows.TaskColumns + ", t.enqueue FROM {s}.tasks t WHERE t.run_id = @run ORDER BY t.seq FOR UPDATE";

    // Each reset task with a fresh attempt budget; one without routes whose dependencies are all met (n = 0) is ready at
    // once, exactly as a restart makes it ready. Routed ones stay pending for the route rules.
    internal const string ResetSql = """
        UPDATE {s}.tasks t SET attempt = 0, output_json = NULL, error_json = NULL, exit_code = NULL, lease_token = NULL, lease_expires_at = NULL,
            started_at = NULL, completed_at = NULL, updated_at = {now}, not_before = NULL, remaining_deps = f.n,
            status = CASE WHEN f.ready THEN CASE WHEN t.type = 'approval' THEN 'awaiting_approval' ELSE 'queued' END ELSE 'pending' END,
            queued_at = CASE WHEN f.ready THEN {now} ELSE NULL END
        FROM unnest(@ids::uuid[], @remaining::int[], @ready::boolean[]) AS f(id, n, ready)
        WHERE t.id = f.id AND t.run_id = @run;
        """;

    internal const string RewaitSql = """
        UPDATE {s}.tasks t SET remaining_deps = t.remaining_deps + f.n
        FROM unnest(@ids::uuid[], @listings::int[]) AS f(id, n)
        WHERE t.id = f.id AND t.run_id = @run AND t.status = 'pending';
        """;

    // A failed run runs again, its deadline counted from now as a restart counts it.
    internal const string ReopenFailedRunSql = """
        UPDATE {s}.runs SET status = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'running' END, error_json = NULL, completed_at = NULL,
            deadline_at = CASE WHEN deadline_at IS NULL THEN NULL ELSE {now} + (deadline_at - created_at) END, updated_at = {now}
        WHERE id = @run AND status = 'failed';
        """;
}
