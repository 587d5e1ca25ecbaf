using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Claiming, heartbeats and giving leases back.
public sealed partial class PostgresStore
{
    // Limited claims (those that can take a task of a run with max_concurrency, or that pass type limits) hold the
    // claim lock exclusively, so the limits, counted from the rows that are running, hold across hosts; the lock is
    // taken by a statement of its own, so the claiming statement's snapshot sees every claim committed before it.
    // Candidates are locked in claim order: exactly Max of them when no limit can apply (locking a row writes it, so a
    // wider window would cost every claim), a bounded window beyond Max when one can, so tasks held back by a limit
    // do not hide the others.
    // Unlimited claims hold the claim lock shared: they do not wait for one another, but a limited claim waits until
    // every unlimited claim in flight has committed, so its count of running tasks includes them. Such a claim never
    // takes a task of a limited run: claim_candidates reads run_limited from the very row version it locks (in its own,
    // later snapshot, so a limited run created meanwhile cannot slip in). When the statement's snapshot shows a
    // claimable task of a limited run that it could take, it takes nothing and reports it (last column), and the
    // caller claims through the limited path instead, so priority order holds across limited and unlimited runs.
    // Lock and claim are one command without BEGIN: one round trip, one implicit transaction.
    // What every claim writes for the tasks it picked (the CTE named by picked, one id column): the tasks become
    // running with a new lease, pending runs start, attempts and events are inserted. Both claim paths share it.
    private static string ClaimWrites(string picked) => """
        claimed AS (
            UPDATE {s}.tasks t
            SET status = 'running', attempt = t.attempt + 1, lease_token = gen_random_uuid(),
                lease_expires_at = {now} + @leaseTicks / 10 * interval '1 microsecond', executor_id = @executor,
                started_at = {now}, not_before = NULL, updated_at = {now}
            FROM {picked} WHERE t.id = {picked}.id AND t.id = ANY (ARRAY(SELECT id FROM {picked}))
            RETURNING t.*
        ), started_runs AS (
            UPDATE {s}.runs r SET status = 'running', started_at = coalesce(r.started_at, {now}), updated_at = {now}
            WHERE r.id = ANY (ARRAY(SELECT run_id FROM claimed)) AND r.status = 'pending'
            RETURNING r.id, r.org_id, r.seq
        ), att AS (
            INSERT INTO {s}.attempts (task_id, number, executor_id, executor_ip, started_at)
            SELECT id, attempt, @executor, @ip, {now} FROM claimed
        ), ev AS (
            INSERT INTO {s}.events (org_id, run_id, task_id, type, data_json, created_at)
            SELECT org_id, run_id, task_id, type, data_json, {now} FROM (
                SELECT 0 AS k, seq AS s, org_id, id AS run_id, NULL::uuid AS task_id, 'run.started' AS type, NULL::text AS data_json FROM started_runs
                UNION ALL
                SELECT 1, seq, org_id, run_id, id, 'task.started', '{"attempt":' || attempt || '}' FROM claimed) e
            ORDER BY k, s
        )
        """.Replace("{picked}", picked, StringComparison.Ordinal);

    private static readonly string FastClaimSql = """
        SELECT pg_advisory_xact_lock_shared(@lockKey);
        WITH gate AS MATERIALIZED (
            SELECT EXISTS (
                SELECT 1 FROM {s}.tasks l
                WHERE l.run_limited AND l.status IN ('queued', 'retrying')
                  AND (l.status = 'queued' OR l.not_before IS NULL OR l.not_before <= {now})
                  AND (cardinality(@types::text[]) = 0 OR l.type = ANY(@types))
                  AND (@org::text IS NULL OR l.org_id = @org)) AS limited
        ), cand AS (
            SELECT c.id FROM {s}.claim_candidates(@types::text[], @org::text, @family::text, {now}, CASE WHEN (SELECT limited FROM gate) THEN 0 ELSE @max END, true) c
        ), {writes}
        SELECT {task}, g.limited FROM gate g LEFT JOIN claimed t ON true ORDER BY t.priority DESC, t.seq
        """.Replace("{writes}", ClaimWrites("cand"), StringComparison.Ordinal);

    private static readonly string ClaimSql = """
        SELECT pg_advisory_xact_lock(@lockKey);
        WITH cand AS (
            SELECT c.id, c.run_id, c.type, c.priority, c.seq
            FROM {s}.claim_candidates(@types::text[], @org::text, @family::text, {now},
                 CASE WHEN @typeLimited OR EXISTS (SELECT 1 FROM {s}.runs lr WHERE lr.max_concurrency IS NOT NULL AND lr.status IN ('pending', 'running'))
                      THEN @scan ELSE @max END, false) c
        ), ranked AS (
            SELECT c.id, c.run_id, c.type, c.priority, c.seq, r.max_concurrency,
                   row_number() OVER (PARTITION BY c.run_id ORDER BY c.priority DESC, c.seq) AS run_rank,
                   row_number() OVER (PARTITION BY c.type ORDER BY c.priority DESC, c.seq) AS type_rank
            FROM cand c JOIN {s}.runs r ON r.id = c.run_id AND r.id = ANY (ARRAY(SELECT run_id FROM cand))
        ), pick AS (
            SELECT k.id FROM ranked k
            LEFT JOIN unnest(@limitTypes::text[], @limitValues::int[]) AS l(type, lim) ON l.type = k.type
            WHERE (k.max_concurrency IS NULL
                   OR k.run_rank + (SELECT count(*) FROM {s}.tasks x WHERE x.run_id = k.run_id AND x.status = 'running') <= k.max_concurrency)
              AND (l.lim IS NULL
                   OR k.type_rank + (SELECT count(*) FROM {s}.tasks y WHERE y.type = k.type AND y.status = 'running') <= l.lim)
            ORDER BY k.priority DESC, k.seq
            LIMIT @max
        ), {writes}
        SELECT {task} FROM claimed t ORDER BY t.priority DESC, t.seq
        """.Replace("{writes}", ClaimWrites("pick"), StringComparison.Ordinal);

    private const string HeartbeatSql = """
        WITH i AS (SELECT * FROM unnest(@ids::uuid[], @tokens::uuid[]) WITH ORDINALITY AS i(id, token, ord)),
        upd AS (
            UPDATE {s}.tasks t SET lease_expires_at = {now} + @leaseTicks / 10 * interval '1 microsecond', updated_at = {now}
            FROM i WHERE t.id = i.id AND t.id = ANY(@ids) AND CASE WHEN t.status = 'running' THEN t.lease_token = i.token ELSE false END
            RETURNING t.id, t.lease_token, t.lease_expires_at
        )
        SELECT i.id, upd.lease_expires_at, t.status, (t.lease_token = i.token) AS token_match
        FROM i LEFT JOIN upd ON upd.id = i.id AND upd.lease_token = i.token LEFT JOIN {s}.tasks t ON t.id = i.id
        ORDER BY i.ord
        """;

    private const string ReleaseSql = """
        WITH i AS (SELECT DISTINCT * FROM unnest(@ids::uuid[], @tokens::uuid[]) AS i(id, token)),
        upd AS (
            UPDATE {s}.tasks t SET status = 'queued', lease_token = NULL, lease_expires_at = NULL, queued_at = {now}, not_before = NULL, updated_at = {now}
            FROM i WHERE t.id = i.id AND t.id = ANY(@ids) AND CASE WHEN t.status = 'running' THEN t.lease_token = i.token ELSE false END
            RETURNING t.id, t.attempt
        ), att AS (
            UPDATE {s}.attempts a SET ended_at = {now}, outcome = 'released'
            FROM upd WHERE a.task_id = upd.id AND a.task_id = ANY (ARRAY(SELECT id FROM upd)) AND a.number = upd.attempt AND a.ended_at IS NULL
        )
        SELECT count(*)::int FROM upd
        """;

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskRun>> ClaimTasksAsync(ClaimTasksParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.Max <= 0) return [];
        var limits = parameters.TypeLimits ?? new Dictionary<string, int>();
        var args = new
        {
            lockKey = _claimLockKey,
            types = parameters.Types.ToArray(),
            org = parameters.OrgId,
            family = parameters.Family,
            scan = Math.Max(parameters.Max * 4, 256),
            typeLimited = limits.Count > 0,
            limitTypes = limits.Keys.ToArray(),
            limitValues = limits.Values.ToArray(),
            max = parameters.Max,
            leaseTicks = parameters.LeaseDuration.Ticks,
            executor = parameters.ExecutorId,
            ip = parameters.ExecutorIp,
        };
        if (limits.Count == 0)
        {
            var fast = await InOneRoundTripAsync((tx, ct) => tx.ReadAsync(S(FastClaimSql.Replace("{task}", PostgresRows.TaskColumns, StringComparison.Ordinal)), args,
                r => (Task: r.IsDBNull(0) ? null : PostgresRows.Task(r), Limited: r.GetBoolean(r.FieldCount - 1)), ct, skipResults: 1), cancellationToken);
            if (fast.Count == 0 || !fast[0].Limited) return fast.Where(f => f.Task is not null).Select(f => f.Task!).ToList();
        }

        var sql = S(ClaimSql.Replace("{task}", PostgresRows.TaskColumns, StringComparison.Ordinal));
        return await InOneRoundTripAsync((tx, ct) => tx.ReadAsync(sql, args, PostgresRows.Task, ct, skipResults: 1), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<HeartbeatResult>> HeartbeatTasksAsync(HeartbeatTasksParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.Leases.Count == 0) return [];
        var ids = parameters.Leases.Select(l => l.TaskId).ToArray();
        var tokens = parameters.Leases.Select(l => l.LeaseToken).ToArray();
        return await InOneRoundTripAsync((tx, ct) => tx.ReadAsync(S(HeartbeatSql), new { ids, tokens, leaseTicks = parameters.LeaseDuration.Ticks }, r =>
        {
            var id = r.GetGuid(0);
            if (!r.IsDBNull(1)) return new HeartbeatResult(id, HeartbeatOutcome.Extended, r.GetFieldValue<DateTimeOffset>(1));
            var cancelled = !r.IsDBNull(2) && r.GetString(2) == "cancelled" && !r.IsDBNull(3) && r.GetBoolean(3);
            return new HeartbeatResult(id, cancelled ? HeartbeatOutcome.Cancelled : HeartbeatOutcome.Lost, null);
        }, ct), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int> ReleaseTasksAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken)
    {
        if (leases.Count == 0) return 0;
        var ids = leases.Select(l => l.TaskId).ToArray();
        var tokens = leases.Select(l => l.LeaseToken).ToArray();
        return await InTransactionAsync(async (tx, ct) =>
        {
            var released = await tx.ScalarAsync<int>(S(ReleaseSql), new { ids, tokens }, ct);
            if (released > 0) tx.WorkAvailable = true;
            return released;
        }, cancellationToken);
    }
}
