using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Completions, failures, lease reaping and run deadlines: everything that can end a task or a run.
public sealed partial class PostgresStore
{
    // Fenced writes (complete, fail, heartbeat, release) find their tasks by primary key only. Their fence is written
    // as CASE WHEN status = 'running' THEN lease_token = … so that the planner cannot prove the partial "running"
    // indexes usable: with statistics taken when few tasks ran, it would otherwise scan such an index whole, and
    // between vacuums that index holds an entry for every task that ran since, so each batch got slower than the last.
    // Run rows are locked in id order, so two transactions touching the same runs cannot deadlock on them.
    private const string LockRunsOfTasksSql = """
        SELECT r.id FROM {s}.runs r WHERE r.id = ANY (ARRAY(SELECT run_id FROM {s}.tasks WHERE id = ANY(@ids))) ORDER BY r.id FOR UPDATE OF r
        """;

    // A completion batch as one statement, run after the statement that locks the batch's runs (so its snapshot sees
    // every committed change to those runs' tasks): complete, record attempts and events, promote dependents, and
    // finish the runs whose every task is now terminal. The statement's snapshot does not see its own writes, so a run
    // counts as finished when its only unfinished tasks are the ones this statement completes (promoted dependents
    // were pending, so they keep the run open). The NOTIFY for promoted work is sent here: the command has no BEGIN,
    // so there is no later statement in the same transaction to send it.
    private const string CompleteBatchSql = """
        WITH i AS (SELECT * FROM unnest(@ids::uuid[], @tokens::uuid[], @outputs::text[]) AS i(id, token, output)),
        done AS (
            UPDATE {s}.tasks t SET status = 'completed', output_json = i.output, error_json = NULL, completed_at = {now},
                                   lease_expires_at = NULL, updated_at = {now}
            FROM i WHERE t.id = i.id AND t.id = ANY(@ids) AND CASE WHEN t.status = 'running' THEN t.lease_token = i.token ELSE false END
            RETURNING t.id, t.run_id, t.org_id, t.name, t.attempt, t.seq
        ), att AS (
            UPDATE {s}.attempts a SET ended_at = {now}, outcome = 'completed'
            FROM done WHERE a.task_id = done.id AND a.task_id = ANY (ARRAY(SELECT id FROM done)) AND a.number = done.attempt AND a.ended_at IS NULL
        ), dec AS (
            SELECT d.task_id, count(*)::int AS n FROM {s}.task_dependencies d JOIN done ON d.run_id = done.run_id AND d.dep_name = done.name GROUP BY d.task_id
        ), promoted AS (
        """ + PromoteFromDecSql + """
        ), wake AS (
            SELECT pg_notify(@channel, 'w') FROM (SELECT 1 FROM promoted WHERE status = 'queued' LIMIT 1) x
        ), fin AS (
            SELECT r.id,
                   (SELECT t.name FROM {s}.tasks t WHERE t.run_id = r.id AND t.status IN ('failed', 'cancelled') ORDER BY t.seq LIMIT 1) AS failed_name,
                   (SELECT t.status FROM {s}.tasks t WHERE t.run_id = r.id AND t.status IN ('failed', 'cancelled') ORDER BY t.seq LIMIT 1) AS failed_status,
                   EXISTS (SELECT 1 FROM {s}.tasks t WHERE t.run_id = r.id AND t.status = 'skipped') AS any_skipped
            FROM {s}.runs r
            WHERE r.id = ANY (ARRAY(SELECT run_id FROM done)) AND r.kind = 'managed' AND r.status NOT IN ('completed', 'failed', 'cancelled')
              AND NOT EXISTS (SELECT 1 FROM {s}.tasks t WHERE t.run_id = r.id AND t.status NOT IN ('completed', 'failed', 'cancelled', 'skipped')
                                                        AND t.id NOT IN (SELECT id FROM done))
        ), finished AS (
            UPDATE {s}.runs r SET
                status = CASE WHEN fin.failed_name IS NULL AND NOT fin.any_skipped THEN 'completed' ELSE 'failed' END,
                error_json = CASE WHEN fin.failed_name IS NULL AND NOT fin.any_skipped THEN r.error_json
                                  ELSE '{"message":' || to_json(CASE WHEN fin.failed_name IS NOT NULL THEN 'task ''' || fin.failed_name || ''' ' || fin.failed_status
                                                                     ELSE 'tasks were skipped' END)::text || '}' END,
                started_at = CASE WHEN fin.failed_name IS NULL AND NOT fin.any_skipped THEN coalesce(r.started_at, {now}) ELSE r.started_at END,
                completed_at = {now}, updated_at = {now}
            FROM fin WHERE r.id = fin.id AND r.id = ANY (ARRAY(SELECT id FROM fin))
            RETURNING r.id, r.org_id, r.status, r.seq
        ), ev AS (
            INSERT INTO {s}.events (org_id, run_id, task_id, type, created_at)
            SELECT org_id, run_id, task_id, type, {now} FROM (
                SELECT 0 AS k, seq AS s, org_id, run_id, id AS task_id, 'task.completed' AS type FROM done
                UNION ALL
                SELECT 1, seq, org_id, id, NULL::uuid, 'run.' || status FROM finished) e
            ORDER BY k, s
        )
        SELECT id, (SELECT count(*)::int FROM wake) FROM done
        """;

    // One statement for failures and expired leases: @expired adds the condition that the lease really ran out, so a
    // heartbeat that got in first wins. The retry delay is the policy's formula (RetryPolicy.DelayBefore) in SQL.
    private const string FailSql = """
        WITH i AS (SELECT * FROM unnest(@ids::uuid[], @tokens::uuid[], @errors::text[], @messages::text[], @retryable::boolean[], @outputs::text[], @rand::float8[])
                   AS i(id, token, error, message, retryable, output, rand)),
        upd AS (
            UPDATE {s}.tasks t SET
                status = CASE WHEN i.retryable AND t.attempt < t.retry_max_attempts THEN 'retrying' ELSE 'failed' END,
                error_json = i.error,
                output_json = coalesce(i.output, t.output_json),
                not_before = CASE WHEN i.retryable AND t.attempt < t.retry_max_attempts
                    THEN {now} + greatest(0, least(t.retry_initial_ticks / 10000.0 * power(t.retry_factor, greatest(0, t.attempt - 1)), t.retry_max_ticks / 10000.0)
                                          * (1 - t.retry_jitter * i.rand)) * interval '1 millisecond'
                    ELSE t.not_before END,
                lease_expires_at = NULL,
                completed_at = CASE WHEN i.retryable AND t.attempt < t.retry_max_attempts THEN t.completed_at ELSE {now} END,
                updated_at = {now}
            FROM i WHERE t.id = i.id AND t.id = ANY(@ids) AND CASE WHEN t.status = 'running' THEN t.lease_token = i.token ELSE false END AND (NOT @expired OR t.lease_expires_at <= {now})
            RETURNING t.id, t.run_id, t.org_id, t.name, t.status, t.attempt, t.not_before, t.seq, i.message
        ), att AS (
            UPDATE {s}.attempts a SET ended_at = {now}, outcome = @outcome, error = upd.message
            FROM upd WHERE a.task_id = upd.id AND a.task_id = ANY (ARRAY(SELECT id FROM upd)) AND a.number = upd.attempt AND a.ended_at IS NULL
        ), ev AS (
            INSERT INTO {s}.events (org_id, run_id, task_id, type, data_json, created_at)
            SELECT org_id, run_id, id, 'task.' || status,
                   CASE WHEN status = 'retrying' THEN '{"attempt":' || attempt || ',"retry_at":"'
                        || to_char(not_before AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '0+00:00"}' END,
                   {now}
            FROM upd ORDER BY seq
        )
        SELECT id, run_id, name, status, extract(epoch FROM (not_before - {now})) * 1000 AS due_ms FROM upd
        """;

    // Promotion of pending dependents by the counts in a CTE named dec (task_id, n): each loses n remaining
    // dependencies and is queued when none are left. Shared by the completion batch and the single promotion.
    private const string PromoteFromDecSql = """
        UPDATE {s}.tasks t SET
            remaining_deps = t.remaining_deps - dec.n,
            status = CASE WHEN t.remaining_deps - dec.n = 0 AND t.enqueue THEN 'queued' ELSE t.status END,
            queued_at = CASE WHEN t.remaining_deps - dec.n = 0 AND t.enqueue THEN {now} ELSE t.queued_at END,
            not_before = CASE WHEN t.remaining_deps - dec.n = 0 AND t.enqueue THEN NULL ELSE t.not_before END,
            updated_at = CASE WHEN t.remaining_deps - dec.n = 0 AND t.enqueue THEN {now} ELSE t.updated_at END
        FROM dec WHERE t.id = dec.task_id AND t.id = ANY (ARRAY(SELECT task_id FROM dec)) AND t.status = 'pending'
        RETURNING t.status
        """;

    private const string PromoteSql = """
        WITH c AS (SELECT * FROM unnest(@runs::uuid[], @names::text[]) AS c(run_id, name)),
        dec AS (
            SELECT d.task_id, count(*)::int AS n FROM {s}.task_dependencies d JOIN c ON d.run_id = c.run_id AND d.dep_name = c.name GROUP BY d.task_id
        ), upd AS (
        """ + PromoteFromDecSql + """
        )
        SELECT count(*)::int FROM upd WHERE status = 'queued'
        """;

    private const string SkipSql = """
        WITH RECURSIVE f(run_id, name) AS (
            SELECT * FROM unnest(@runs::uuid[], @names::text[])
            UNION
            SELECT t.run_id, t.name FROM f
            JOIN {s}.task_dependencies d ON d.run_id = f.run_id AND d.dep_name = f.name
            JOIN {s}.tasks t ON t.id = d.task_id
            WHERE t.status IN ('pending', 'queued')
        ), upd AS (
            UPDATE {s}.tasks t SET status = 'skipped', completed_at = {now}, updated_at = {now}
            FROM f WHERE t.run_id = f.run_id AND t.name = f.name AND t.status IN ('pending', 'queued')
            RETURNING t.id, t.run_id, t.org_id, t.seq
        )
        INSERT INTO {s}.events (org_id, run_id, task_id, type, created_at)
        SELECT org_id, run_id, id, 'task.skipped', {now} FROM upd ORDER BY seq
        """;

    private const string FinalizeCandidatesSql = """
        SELECT r.id,
               (SELECT t.name FROM {s}.tasks t WHERE t.run_id = r.id AND t.status IN ('failed', 'cancelled') ORDER BY t.seq LIMIT 1) AS failed_name,
               (SELECT t.status FROM {s}.tasks t WHERE t.run_id = r.id AND t.status IN ('failed', 'cancelled') ORDER BY t.seq LIMIT 1) AS failed_status,
               EXISTS (SELECT 1 FROM {s}.tasks t WHERE t.run_id = r.id AND t.status = 'skipped') AS any_skipped
        FROM {s}.runs r
        WHERE r.id = ANY(@runs) AND r.kind = 'managed' AND r.status NOT IN ('completed', 'failed', 'cancelled')
          AND NOT EXISTS (SELECT 1 FROM {s}.tasks t WHERE t.run_id = r.id AND t.status NOT IN ('completed', 'failed', 'cancelled', 'skipped'))
        """;

    private const string FinalizeSql = """
        WITH f AS (SELECT * FROM unnest(@ids::uuid[], @statuses::text[], @errors::text[]) AS f(id, status, error)),
        upd AS (
            UPDATE {s}.runs r SET status = f.status,
                error_json = CASE WHEN f.status = 'failed' THEN f.error ELSE r.error_json END,
                started_at = CASE WHEN f.status = 'completed' THEN coalesce(r.started_at, {now}) ELSE r.started_at END,
                completed_at = {now}, updated_at = {now}
            FROM f WHERE r.id = f.id AND r.id = ANY(@ids)
            RETURNING r.id, r.org_id, r.status, r.seq
        )
        INSERT INTO {s}.events (org_id, run_id, type, created_at) SELECT org_id, id, 'run.' || status, {now} FROM upd ORDER BY seq
        """;

    private const string CancelUnfinishedSql = """
        WITH old AS (
            SELECT t.id, t.status, t.attempt FROM {s}.tasks t
            WHERE t.run_id = ANY(@runs) AND t.status NOT IN ('completed', 'failed', 'cancelled', 'skipped')
            ORDER BY t.id FOR UPDATE
        ), upd AS (
            UPDATE {s}.tasks t SET status = 'cancelled', lease_expires_at = NULL, completed_at = {now}, updated_at = {now}
            FROM old WHERE t.id = old.id AND t.id = ANY (ARRAY(SELECT id FROM old))
            RETURNING t.id, t.run_id, t.org_id, t.seq
        ), att AS (
            UPDATE {s}.attempts a SET ended_at = {now}, outcome = 'cancelled'
            FROM old WHERE old.status = 'running' AND a.task_id = old.id AND a.number = old.attempt AND a.ended_at IS NULL
        ), ev AS (
            INSERT INTO {s}.events (org_id, run_id, task_id, type, created_at)
            SELECT org_id, run_id, id, 'task.cancelled', {now} FROM upd ORDER BY seq
        )
        SELECT count(*)::int FROM old WHERE status = 'running'
        """;

    private const string ExpiredLeasesSql = """
        SELECT id, lease_token FROM {s}.tasks WHERE status = 'running' AND lease_expires_at <= {now} ORDER BY lease_expires_at LIMIT @limit
        """;

    private const string DueRunsSql = """
        SELECT id FROM {s}.runs WHERE deadline_at <= {now} AND status NOT IN ('completed', 'failed', 'cancelled')
        ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED
        """;

    private const string TimeOutRunsSql = """
        WITH upd AS (
            UPDATE {s}.runs r SET status = 'failed', error_json = @error, completed_at = {now}, updated_at = {now}
            WHERE r.id = ANY(@runs) RETURNING r.id, r.org_id, r.seq
        )
        INSERT INTO {s}.events (org_id, run_id, type, data_json, created_at)
        SELECT org_id, id, 'run.failed', '{"reason":"timeout"}', {now} FROM upd ORDER BY seq
        """;

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskWriteResult>> CompleteTasksAsync(IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken)
    {
        if (completions.Count == 0) return [];
        var first = FirstOccurrences(completions.Select(c => c.Lease.TaskId));
        var items = first.Select(i => completions[i]).ToList();
        var ids = items.Select(c => c.Lease.TaskId).ToArray();
        var tokens = items.Select(c => c.Lease.LeaseToken).ToArray();
        var outputs = items.Select(c => c.OutputJson).ToArray();
        var sql = S(LockRunsOfTasksSql + ";\n" + CompleteBatchSql);
        var applied = await InOneRoundTripAsync(async (tx, ct) =>
        {
            var done = await tx.ReadAsync(sql, new { ids, tokens, outputs, channel = Channel }, r => (Id: r.GetGuid(0), Woke: r.GetInt32(1) > 0), ct, skipResults: 1);
            if (done.Any(d => d.Woke)) tx.WorkAvailable = true;
            return done.Select(d => d.Id).ToHashSet();
        }, cancellationToken);

        var results = new TaskWriteResult[completions.Count];
        var firstSet = first.ToHashSet();
        for (var i = 0; i < results.Length; i++)
        {
            var id = completions[i].Lease.TaskId;
            var ok = firstSet.Contains(i) && applied.Contains(id);
            results[i] = new TaskWriteResult(id, ok, ok ? TaskRunStatus.Completed : null);
        }

        return results;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskWriteResult>> FailTasksAsync(IReadOnlyList<TaskFailure> failures, CancellationToken cancellationToken)
    {
        if (failures.Count == 0) return [];
        var first = FirstOccurrences(failures.Select(f => f.Lease.TaskId));
        var items = first.Select(i => failures[i]).Select(f => new FailItem(f.Lease.TaskId, f.Lease.LeaseToken, f.ErrorJson, JsonDefaults.ErrorMessage(f.ErrorJson), f.Retryable, f.OutputJson)).ToList();
        var statuses = await InTransactionAsync((tx, ct) => FailCoreAsync(tx, items, AttemptOutcomes.Failed, expired: false, ct), cancellationToken);
        var firstSet = first.ToHashSet();
        var results = new TaskWriteResult[failures.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var id = failures[i].Lease.TaskId;
            results[i] = firstSet.Contains(i) && statuses.TryGetValue(id, out var s) ? new TaskWriteResult(id, true, s) : new TaskWriteResult(id, false, null);
        }

        return results;
    }

    /// <inheritdoc />
    public async Task<int> ReleaseExpiredLeasesAsync(int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0) return 0;
        var error = JsonDefaults.ErrorJson("lease expired: the executor stopped heartbeating");
        return await InTransactionAsync(async (tx, ct) =>
        {
            var expired = await tx.ReadAsync(S(ExpiredLeasesSql), new { limit }, r => (Id: r.GetGuid(0), Token: r.GetGuid(1)), ct);
            if (expired.Count == 0) return 0;
            var items = expired.Select(e => new FailItem(e.Id, e.Token, error, "lease expired", true, null)).ToList();
            await tx.ExecAsync(S(LockRunsOfTasksSql), new { ids = items.Select(i => i.Id).ToArray() }, ct);
            var reaped = await FailCoreAsync(tx, items, AttemptOutcomes.LeaseExpired, expired: true, ct);
            return reaped.Count;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int> FailTimedOutRunsAsync(int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0) return 0;
        var error = JsonDefaults.ErrorJson("run timed out");
        return await InTransactionAsync(async (tx, ct) =>
        {
            var runs = (await tx.QueryAsync<Guid>(S(DueRunsSql), new { limit }, ct)).ToArray();
            if (runs.Length == 0) return 0;
            var running = await tx.ScalarAsync<int>(S(CancelUnfinishedSql), new { runs }, ct);
            if (running > 0) tx.TasksCancelled = true;
            await tx.ExecAsync(S(TimeOutRunsSql), new { runs, error }, ct);
            return runs.Length;
        }, cancellationToken);
    }

    private sealed record FailItem(Guid Id, Guid Token, string? ErrorJson, string? Message, bool Retryable, string? OutputJson);

    // Caller holds the run locks. Returns the new status of every item that applied.
    private async Task<Dictionary<Guid, TaskRunStatus>> FailCoreAsync(PgTx tx, List<FailItem> items, string outcome, bool expired, CancellationToken ct)
    {
        var rows = await tx.ReadAsync(S(expired ? FailSql : LockRunsOfTasksSql + ";\n" + FailSql), new
        {
            ids = items.Select(i => i.Id).ToArray(),
            tokens = items.Select(i => i.Token).ToArray(),
            errors = items.Select(i => i.ErrorJson).ToArray(),
            messages = items.Select(i => i.Message).ToArray(),
            retryable = items.Select(i => i.Retryable).ToArray(),
            outputs = items.Select(i => i.OutputJson).ToArray(),
            rand = items.Select(_ => Random.Shared.NextDouble()).ToArray(),
            expired,
            outcome,
        }, r => (Id: r.GetGuid(0), Run: r.GetGuid(1), Name: r.GetString(2), Status: r.GetString(3), DueMs: r.IsDBNull(4) ? (double?)null : Convert.ToDouble(r.GetValue(4), System.Globalization.CultureInfo.InvariantCulture)), ct,
            skipResults: expired ? 0 : 1);
        var result = new Dictionary<Guid, TaskRunStatus>(rows.Count);
        foreach (var row in rows)
        {
            var status = StatusNames.ParseTaskStatus(row.Status);
            result[row.Id] = status;
            if (status == TaskRunStatus.Retrying && row.DueMs is { } ms) tx.RetryIn(TimeSpan.FromMilliseconds(Math.Max(0, ms)));
        }

        var failed = rows.Where(r => r.Status == "failed").ToList();
        if (failed.Count > 0)
        {
            await SkipDependentsAsync(tx, failed.Select(f => f.Run).ToArray(), failed.Select(f => f.Name).ToArray(), ct);
            await FinalizeRunsAsync(tx, failed.Select(f => f.Run).Distinct().ToArray(), ct);
        }

        return result;
    }

    private Task SkipDependentsAsync(PgTx tx, Guid[] runs, string[] names, CancellationToken ct) =>
        tx.ExecAsync(S(SkipSql), new { runs, names }, ct);

    private async Task<bool> PromoteDependentsAsync(PgTx tx, Guid run, string name, CancellationToken ct) =>
        await tx.ScalarAsync<int>(S(PromoteSql), new { runs = new[] { run }, names = new[] { name } }, ct) > 0;

    // Managed runs whose tasks are all terminal end: completed, or failed naming the first failed or cancelled task.
    // The caller holds the run locks, so no other transaction can change these runs' tasks meanwhile.
    private async Task FinalizeRunsAsync(PgTx tx, Guid[] runs, CancellationToken ct)
    {
        if (runs.Length == 0) return;
        var candidates = await tx.ReadAsync(S(FinalizeCandidatesSql), new { runs },
            r => (Id: r.GetGuid(0), FailedName: PostgresRows.Str(r, 1), FailedStatus: PostgresRows.Str(r, 2), AnySkipped: r.GetBoolean(3)), ct);
        if (candidates.Count == 0) return;
        var statuses = new string[candidates.Count];
        var errors = new string?[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            if (c.FailedName is null && !c.AnySkipped)
            {
                statuses[i] = "completed";
                continue;
            }

            statuses[i] = "failed";
            errors[i] = JsonDefaults.ErrorJson(c.FailedName is not null ? $"task '{c.FailedName}' {c.FailedStatus}" : "tasks were skipped");
        }

        await tx.ExecAsync(S(FinalizeSql), new { ids = candidates.Select(c => c.Id).ToArray(), statuses, errors }, ct);
    }

    private static List<int> FirstOccurrences(IEnumerable<Guid> ids)
    {
        var seen = new HashSet<Guid>();
        var list = new List<int>();
        var i = 0;
        foreach (var id in ids)
        {
            if (seen.Add(id)) list.Add(i);
            i++;
        }

        return list;
    }
}
