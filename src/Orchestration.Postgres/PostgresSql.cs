namespace Orchestration.Postgres;

// The store's statement texts, by concern. {s} is the schema and {now} the transaction's clock (see PostgresStore.S);
// statements assembled per call from a query's filters stay with their builders in the reads.
internal static class PostgresSql
{
    // The events of the hot path's statements, one event_batches row per (org, type) (PostgresEventSql). Declared
    // first: the statements below are built from them when the class initialises.
    private static readonly string CreateRunsEvents = PostgresEventSql.InsertBatches("""
        SELECT 0 AS k, seq AS s, org_id, id AS run_id, NULL::uuid AS task_id, 'run.created' AS type, NULL::text AS data_json FROM ins
        UNION ALL
        SELECT 1, seq, org_id, id, NULL, 'run.completed', NULL FROM ins WHERE status = 'completed'
        """);

    private static readonly string CompleteBatchEvents = PostgresEventSql.InsertBatches("""
        SELECT 0 AS k, seq AS s, org_id, run_id, id AS task_id, 'task.completed' AS type, NULL::text AS data_json FROM done
        UNION ALL
        SELECT 1, seq, org_id, id, NULL::uuid, 'run.' || status, NULL FROM finished
        """);

    private static readonly string FailEvents = PostgresEventSql.InsertBatches("""
        SELECT 0 AS k, seq AS s, org_id, run_id, id AS task_id, 'task.' || status AS type,
               CASE WHEN status = 'retrying' THEN '{"attempt":' || attempt || ',"retry_at":"'
                    || to_char(not_before AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '0+00:00"}' END AS data_json
        FROM upd
        """);

    private static readonly string FinalizeEvents = PostgresEventSql.InsertBatches("""
        SELECT 0 AS k, seq AS s, org_id, id AS run_id, NULL::uuid AS task_id, 'run.' || status AS type, NULL::text AS data_json FROM upd
        """);

    // Create (PostgresStore.Create.cs).
    internal static readonly string CreateRunsSql = """
        WITH r AS (
            SELECT * FROM unnest(@r_id::uuid[], @r_org::text[], @r_kind::text[], @r_status::text[], @r_family::text[], @r_name::text[],
                                 @r_input::text[], @r_meta::text[], @r_key::text[], @r_maxc::int[], @r_timeout::bigint[], @r_done::boolean[])
                   WITH ORDINALITY AS r(id, org_id, kind, status, family, name, input_json, metadata_json, idempotency_key, max_concurrency, timeout_ticks, done, ord)
        ), ins AS (
            INSERT INTO {s}.runs AS x (id, org_id, kind, status, family, name, input_json, metadata_json, idempotency_key, max_concurrency,
                                deadline_at, created_at, updated_at, started_at, completed_at)
            SELECT id, org_id, kind, status, family, name, input_json, metadata_json, idempotency_key, max_concurrency,
                   CASE WHEN timeout_ticks IS NULL THEN NULL ELSE {now} + timeout_ticks / 10 * interval '1 microsecond' END,
                   {now}, {now}, CASE WHEN done THEN {now} END, CASE WHEN done THEN {now} END
            FROM r ORDER BY ord
            ON CONFLICT (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING x.*
        ), t AS (
            INSERT INTO {s}.tasks (id, run_id, org_id, name, type, status, priority, input_json, metadata_json, dependencies, parent_task_id,
                                   retry_max_attempts, retry_initial_ticks, retry_max_ticks, retry_factor, retry_jitter, timeout_ticks,
                                   enqueue, remaining_deps, created_at, updated_at, queued_at, run_limited)
            SELECT n.id, n.run_id, ins.org_id, n.name, n.type, n.status, n.priority, n.input_json, n.metadata_json,
                   coalesce(string_to_array(n.deps, chr(31)), '{}'), n.parent_task_id, n.max_attempts, n.initial_ticks, n.max_ticks, n.factor, n.jitter,
                   n.timeout_ticks, n.enqueue, n.remaining, {now}, {now}, CASE WHEN n.status = 'queued' THEN {now} END, ins.max_concurrency IS NOT NULL
            FROM unnest(@t_id::uuid[], @t_run::uuid[], @t_name::text[], @t_type::text[], @t_status::text[], @t_priority::int[], @t_input::text[],
                        @t_meta::text[], @t_deps::text[], @t_parent::uuid[], @t_max::int[], @t_initial::bigint[], @t_maxdelay::bigint[],
                        @t_factor::float8[], @t_jitter::float8[], @t_timeout::bigint[], @t_enqueue::boolean[], @t_remaining::int[])
                 WITH ORDINALITY AS n(id, run_id, name, type, status, priority, input_json, metadata_json, deps, parent_task_id, max_attempts,
                                      initial_ticks, max_ticks, factor, jitter, timeout_ticks, enqueue, remaining, ord)
            JOIN ins ON ins.id = n.run_id
            ORDER BY n.ord
        ), d AS (
            INSERT INTO {s}.task_dependencies (run_id, dep_name, task_id)
            SELECT x.run_id, x.dep_name, x.task_id FROM unnest(@d_run::uuid[], @d_name::text[], @d_task::uuid[]) AS x(run_id, dep_name, task_id)
            JOIN ins ON ins.id = x.run_id
        ), e AS (
        """ + CreateRunsEvents + """
        )
        SELECT r.id, r.org_id, r.kind, r.status, r.family, r.name, r.input_json, r.output_json, r.error_json, r.metadata_json,
               r.idempotency_key, r.max_concurrency, r.deadline_at, r.created_at, r.updated_at, r.started_at, r.completed_at
        FROM ins r
        """;

    internal const string RunByKeySql = """
        SELECT {run}, {counters} FROM {s}.runs r WHERE r.org_id = @org AND r.idempotency_key = @key
        """;

    // Claims (PostgresStore.Claims.cs).
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
    // running with a new lease and an open attempt (kept on the task row until it ends), pending runs start, events
    // are inserted. Both claim paths share it.
    internal static string ClaimWrites(string picked) => """
        claimed AS (
            UPDATE {s}.tasks t
            SET status = 'running', attempt = t.attempt + 1, lease_token = gen_random_uuid(),
                lease_expires_at = {now} + @leaseTicks / 10 * interval '1 microsecond', executor_id = @executor,
                executor_ip = @ip, attempt_open = true, started_at = {now}, not_before = NULL, updated_at = {now}
            FROM {picked} WHERE t.id = {picked}.id AND t.id = ANY (ARRAY(SELECT id FROM {picked}))
            RETURNING t.*
        ), started_runs AS (
            UPDATE {s}.runs r SET status = 'running', started_at = coalesce(r.started_at, {now}), updated_at = {now}
            WHERE r.id = ANY (ARRAY(SELECT run_id FROM claimed)) AND r.status = 'pending'
            RETURNING r.id, r.org_id, r.seq
        ), ev AS (
        {events}
        )
        """.Replace("{picked}", picked, StringComparison.Ordinal).Replace("{events}", PostgresEventSql.InsertBatches("""
                SELECT 0 AS k, seq AS s, org_id, id AS run_id, NULL::uuid AS task_id, 'run.started' AS type, NULL::text AS data_json FROM started_runs
                UNION ALL
                SELECT 1, seq, org_id, run_id, id, 'task.started', '{"attempt":' || attempt || '}' FROM claimed
                """), StringComparison.Ordinal);

    internal static readonly string FastClaimSql = """
        SELECT pg_advisory_xact_lock_shared(@lockKey);
        WITH gate AS MATERIALIZED (
            SELECT EXISTS (
                SELECT 1 FROM {s}.tasks l
                WHERE l.run_limited AND l.status IN ('queued', 'retrying')
                  AND (l.status = 'queued' OR l.not_before IS NULL OR l.not_before <= {now})
                  AND (cardinality(@types::text[]) = 0 OR l.type = ANY(@types))
                  AND (@org::text IS NULL OR l.org_id = @org)) OR {s}.keyed_work_ready(@types::text[], @org::text, {now})
              -- A fair claim with a second org waiting goes to the fair path (PostgresStore.Fairness.cs): the highest org
              -- with queued work, then the highest below it, both read backwards from tasks_ready_org (see
              -- PostgresFairSql.ReadyOrgBelow).
              OR (@fair AND {secondOrg} IS NOT NULL) AS limited
        ), cand AS (
            SELECT c.id FROM {s}.claim_candidates(@types::text[], @org::text, @family::text, {now}, CASE WHEN (SELECT limited FROM gate) THEN 0 ELSE @max END, true) c
        ), {writes}
        SELECT {task}, g.limited FROM gate g LEFT JOIN claimed t ON true ORDER BY t.priority DESC, t.seq
        """.Replace("{writes}", ClaimWrites("cand"), StringComparison.Ordinal)
        .Replace("{secondOrg}", PostgresFairSql.ReadyOrgBelow(PostgresFairSql.ReadyOrgBelow(null)), StringComparison.Ordinal);

    internal static readonly string ClaimSql = """
        SELECT pg_advisory_xact_lock(@lockKey);
        WITH cand AS (
            SELECT c.id, c.run_id, c.type, c.priority, c.seq
            FROM {s}.claim_candidates(@types::text[], @org::text, @family::text, {now},
                 CASE WHEN @typeLimited OR EXISTS (SELECT 1 FROM {s}.runs lr WHERE lr.max_concurrency IS NOT NULL AND lr.status IN ('pending', 'running'))
                      THEN @scan ELSE @max END, false) c
            UNION ALL
            SELECT k.id, k.run_id, k.type, k.priority, k.seq
            FROM {s}.keyed_candidates(@types::text[], @org::text, @family::text, {now}, @max) k
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
        SELECT {task}, {rateWake} FROM claimed t ORDER BY t.priority DESC, t.seq
        """.Replace("{writes}", ClaimWrites("pick") + PostgresKeySql.CountStartsCte, StringComparison.Ordinal)
        .Replace("{rateWake}", PostgresKeySql.RateWakeColumn, StringComparison.Ordinal);

    internal const string HeartbeatSql = """
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

    internal const string ReleaseSql = """
        WITH i AS (SELECT DISTINCT * FROM unnest(@ids::uuid[], @tokens::uuid[]) AS i(id, token)),
        upd AS (
            UPDATE {s}.tasks t SET status = 'queued', lease_token = NULL, lease_expires_at = NULL, queued_at = {now}, not_before = NULL, updated_at = {now}
            FROM i WHERE t.id = i.id AND t.id = ANY(@ids) AND CASE WHEN t.status = 'running' THEN t.lease_token = i.token ELSE false END
            RETURNING t.id, t.attempt_open, t.attempt, t.executor_id, t.executor_ip, t.started_at
        ), att AS (
            INSERT INTO {s}.attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error) SELECT id, attempt, executor_id, executor_ip, started_at, {now}, 'released', NULL FROM upd WHERE upd.attempt_open
        )
        SELECT count(*)::int FROM upd
        """;

    // Outcomes (PostgresStore.Outcomes.cs).
    // Fenced writes (complete, fail, heartbeat, release) find their tasks by primary key only. Their fence is written
    // as CASE WHEN status = 'running' THEN lease_token = … so that the planner cannot prove the partial "running"
    // indexes usable: with statistics taken when few tasks ran, it would otherwise scan such an index whole, and
    // between vacuums that index holds an entry for every task that ran since, so each batch got slower than the last.
    // Run rows are locked in id order, so two transactions touching the same runs cannot deadlock on them.
    internal const string LockRunsOfTasksSql = """
        SELECT r.id FROM {s}.runs r WHERE r.id = ANY (ARRAY(SELECT run_id FROM {s}.tasks WHERE id = ANY(@ids))) ORDER BY r.id FOR UPDATE OF r
        """;

    // A completion batch as one statement, run after the statement that locks the batch's runs (so its snapshot sees
    // every committed change to those runs' tasks): complete, record attempts and events, promote dependents, and
    // finish the runs whose every task is now terminal. The statement's snapshot does not see its own writes, so a run
    // counts as finished when its only unfinished tasks are the ones this statement completes (promoted dependents
    // were pending, so they keep the run open). The NOTIFY for promoted work is sent here: the command has no BEGIN,
    // so there is no later statement in the same transaction to send it.
    internal static readonly string CompleteBatchSql = """
        WITH i AS (SELECT * FROM unnest(@ids::uuid[], @tokens::uuid[], @outputs::text[]) AS i(id, token, output)),
        done AS (
            UPDATE {s}.tasks t SET status = 'completed', output_json = i.output, error_json = NULL, completed_at = {now},
                                   lease_expires_at = NULL, updated_at = {now}
            FROM i WHERE t.id = i.id AND t.id = ANY(@ids) AND CASE WHEN t.status = 'running' THEN t.lease_token = i.token ELSE false END
                     AND NOT t.routes_out
            RETURNING t.id, t.run_id, t.org_id, t.name, t.seq, t.attempt_open, t.attempt, t.executor_id, t.executor_ip, t.started_at, t.limit_key
        ), att AS (
            INSERT INTO {s}.attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error) SELECT id, attempt, executor_id, executor_ip, started_at, {now}, 'completed', NULL FROM done WHERE done.attempt_open
        ), dec AS (
            SELECT d.task_id, count(*)::int AS n FROM {s}.task_dependencies d JOIN done ON d.run_id = done.run_id AND d.dep_name = done.name GROUP BY d.task_id
        ), promoted AS (
        """ + PromoteFromDecSql + """
        ), wake AS (
            SELECT pg_notify(@channel, 'w') FROM (
                SELECT 1 FROM promoted WHERE status = 'queued'
                UNION ALL
                -- A run held back by its concurrency limit has a queued task no claim took while the slot was busy.
                SELECT 1 FROM {s}.runs r WHERE r.id = ANY (ARRAY(SELECT run_id FROM done)) AND r.max_concurrency IS NOT NULL
                    AND EXISTS (SELECT 1 FROM {s}.tasks q WHERE q.run_id = r.id AND q.status = 'queued')
                UNION ALL
                -- A key at its limit has a waiting task no claim took while the slot was busy.
                SELECT 1 FROM {s}.tasks q WHERE q.status IN ('queued', 'retrying') AND q.limit_key IS NOT NULL
                    AND q.limit_key = ANY (ARRAY(SELECT limit_key FROM done WHERE limit_key IS NOT NULL))
                LIMIT 1) x
        ), fin AS (
            SELECT r.id,
                   (SELECT t.name FROM {s}.tasks t WHERE t.run_id = r.id AND t.status IN ('failed', 'cancelled') AND (t.status = 'cancelled' OR NOT t.allow_failure) ORDER BY t.seq LIMIT 1) AS failed_name,
                   (SELECT t.status FROM {s}.tasks t WHERE t.run_id = r.id AND t.status IN ('failed', 'cancelled') AND (t.status = 'cancelled' OR NOT t.allow_failure) ORDER BY t.seq LIMIT 1) AS failed_status,
                   false AS any_skipped
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
        """ + CompleteBatchEvents + """
        )
        SELECT id, (SELECT count(*)::int FROM wake) FROM done
        """;

    // One statement for failures and expired leases: @expired adds the condition that the lease really ran out, so a
    // heartbeat that got in first wins. The retry delay is the policy's formula (RetryPolicy.DelayBefore) in SQL.
    internal static readonly string FailSql = """
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
            RETURNING t.id, t.run_id, t.org_id, t.name, t.status, t.not_before, t.seq, i.message, t.attempt_open, t.attempt, t.executor_id, t.executor_ip, t.started_at
        ), att AS (
            INSERT INTO {s}.attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error) SELECT id, attempt, executor_id, executor_ip, started_at, {now}, @outcome, upd.message FROM upd WHERE upd.attempt_open
        ), ev AS (
        """ + FailEvents + """
        )
        SELECT id, run_id, name, status, extract(epoch FROM (not_before - {now})) * 1000 AS due_ms FROM upd
        """;

    // Promotion of pending dependents by the counts in a CTE named dec (task_id, n): each loses n remaining
    // dependencies and is queued when none are left. Shared by the completion batch and the single promotion.
    internal const string PromoteFromDecSql = """
        UPDATE {s}.tasks t SET
            remaining_deps = t.remaining_deps - dec.n,
            status = CASE WHEN t.remaining_deps - dec.n = 0 AND t.enqueue THEN CASE WHEN t.type = 'approval' THEN 'awaiting_approval' ELSE 'queued' END ELSE t.status END,
            queued_at = CASE WHEN t.remaining_deps - dec.n = 0 AND t.enqueue THEN {now} ELSE t.queued_at END,
            not_before = CASE WHEN t.remaining_deps - dec.n = 0 AND t.enqueue THEN NULL ELSE t.not_before END,
            updated_at = CASE WHEN t.remaining_deps - dec.n = 0 AND t.enqueue THEN {now} ELSE t.updated_at END
        FROM dec WHERE t.id = dec.task_id AND t.id = ANY (ARRAY(SELECT task_id FROM dec)) AND t.status = 'pending'
        RETURNING t.status
        """;

    internal const string PromoteSql = """
        WITH c AS (SELECT * FROM unnest(@runs::uuid[], @names::text[]) AS c(run_id, name)),
        dec AS (
            SELECT d.task_id, count(*)::int AS n FROM {s}.task_dependencies d JOIN c ON d.run_id = c.run_id AND d.dep_name = c.name GROUP BY d.task_id
        ), upd AS (
        """ + PromoteFromDecSql + """
        )
        SELECT count(*)::int FROM upd WHERE status = 'queued'
        """;

    internal const string SkipSql = """
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

    // Routing (PostgresStore.Routing.cs).
    internal const string SetTaskRoutingSql = """
        UPDATE {s}.tasks t SET routes = u.routes, allow_failure = u.allow
        FROM unnest(@ids::uuid[], @routes::text[], @allow::boolean[]) AS u(id, routes, allow) WHERE t.id = u.id
        """;

    internal const string MarkRouteSourcesSql = """
        UPDATE {s}.tasks t SET routes_out = true
        FROM unnest(@runs::uuid[], @names::text[]) AS u(run_id, name) WHERE t.run_id = u.run_id AND t.name = u.name
        """;

    // The completion batch's write without its promotion and finalisation, which the routed path does after it.
    internal const string CompleteRoutedSql = """
        WITH i AS (SELECT * FROM unnest(@ids::uuid[], @tokens::uuid[], @outputs::text[], @codes::int[]) AS i(id, token, output, code)),
        done AS (
            UPDATE {s}.tasks t SET status = 'completed', output_json = i.output, error_json = NULL, exit_code = i.code, completed_at = {now},
                                   lease_expires_at = NULL, updated_at = {now}
            FROM i WHERE t.id = i.id AND t.id = ANY(@ids) AND CASE WHEN t.status = 'running' THEN t.lease_token = i.token ELSE false END
            RETURNING t.id, t.run_id, t.org_id, t.name, t.seq, t.attempt_open, t.attempt, t.executor_id, t.executor_ip, t.started_at
        ), att AS (
            INSERT INTO {s}.attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error) SELECT id, attempt, executor_id, executor_ip, started_at, {now}, 'completed', NULL FROM done WHERE done.attempt_open
        ), ev AS (
            INSERT INTO {s}.events (org_id, run_id, task_id, type, created_at) SELECT org_id, run_id, id, 'task.completed', {now} FROM done ORDER BY seq
        )
        SELECT id, run_id, name FROM done
        """;

    // Exit codes of a failure batch, written after the batch's FailSql for the tasks it applied to.
    internal const string SetExitCodesSql = """
        UPDATE {s}.tasks t SET exit_code = u.code FROM unnest(@ids::uuid[], @codes::int[]) AS u(id, code) WHERE t.id = u.id AND t.id = ANY(@ids)
        """;

    internal const string AllowedFailuresSql = "SELECT id FROM {s}.tasks WHERE id = ANY(@ids) AND allow_failure";

    internal const string TaskIdByRunAndNameSql = "SELECT id FROM {s}.tasks WHERE run_id = @run AND name = @name";

    // The review and its outcome in one statement, fenced by the awaiting_approval status.
    internal const string ReviewTaskSql = """
        UPDATE {s}.tasks SET status = CASE WHEN @approved THEN 'completed' ELSE 'failed' END,
            error_json = CASE WHEN @approved THEN error_json ELSE @error END,
            reviewed_by = @reviewer, reviewed_at = {now}, review_approved = @approved, review_comments = @comments,
            completed_at = {now}, updated_at = {now}
        WHERE id = @id AND run_id = @run AND status = 'awaiting_approval'
        RETURNING id, name, allow_failure, routes_out
        """;

    internal const string RouteStatesSql = """
        SELECT t.id, t.run_id, t.name, t.status, t.routes, t.exit_code, t.allow_failure FROM {s}.tasks t WHERE t.run_id = ANY(@runs) ORDER BY t.seq
        """;

    internal const string QueueRoutedSql = """
        UPDATE {s}.tasks t SET status = CASE WHEN t.type = 'approval' THEN 'awaiting_approval' ELSE 'queued' END, queued_at = {now}, not_before = NULL, updated_at = {now} WHERE t.id = ANY(@ids) AND t.status = 'pending'
        """;

    internal const string SkipRoutedSql = """
        WITH upd AS (
            UPDATE {s}.tasks SET status = 'skipped', completed_at = {now}, updated_at = {now} WHERE id = ANY(@ids) AND status = 'pending'
            RETURNING id, run_id, org_id, seq
        )
        INSERT INTO {s}.events (org_id, run_id, task_id, type, data_json, created_at)
        SELECT org_id, run_id, id, 'task.skipped', @data, {now} FROM upd ORDER BY seq
        """;

    internal const string FinalizeCandidatesSql = """
        SELECT r.id,
               (SELECT t.name FROM {s}.tasks t WHERE t.run_id = r.id AND t.status IN ('failed', 'cancelled') AND (t.status = 'cancelled' OR NOT t.allow_failure) ORDER BY t.seq LIMIT 1) AS failed_name,
               (SELECT t.status FROM {s}.tasks t WHERE t.run_id = r.id AND t.status IN ('failed', 'cancelled') AND (t.status = 'cancelled' OR NOT t.allow_failure) ORDER BY t.seq LIMIT 1) AS failed_status,
               false AS any_skipped
        FROM {s}.runs r
        WHERE r.id = ANY(@runs) AND r.kind = 'managed' AND r.status NOT IN ('completed', 'failed', 'cancelled')
          AND NOT EXISTS (SELECT 1 FROM {s}.tasks t WHERE t.run_id = r.id AND t.status NOT IN ('completed', 'failed', 'cancelled', 'skipped'))
        """;

    internal static readonly string FinalizeSql = """
        WITH f AS (SELECT * FROM unnest(@ids::uuid[], @statuses::text[], @errors::text[]) AS f(id, status, error)),
        upd AS (
            UPDATE {s}.runs r SET status = f.status,
                error_json = CASE WHEN f.status = 'failed' THEN f.error ELSE r.error_json END,
                started_at = CASE WHEN f.status = 'completed' THEN coalesce(r.started_at, {now}) ELSE r.started_at END,
                completed_at = {now}, updated_at = {now}
            FROM f WHERE r.id = f.id AND r.id = ANY(@ids)
            RETURNING r.id, r.org_id, r.status, r.seq
        )
        """ + FinalizeEvents;

    internal const string CancelUnfinishedSql = """
        WITH old AS (
            SELECT t.id, t.status, t.attempt_open, t.attempt, t.executor_id, t.executor_ip, t.started_at FROM {s}.tasks t
            WHERE t.run_id = ANY(@runs) AND t.status NOT IN ('completed', 'failed', 'cancelled', 'skipped')
            ORDER BY t.id FOR UPDATE
        ), upd AS (
            UPDATE {s}.tasks t SET status = 'cancelled', lease_expires_at = NULL, completed_at = {now}, updated_at = {now}
            FROM old WHERE t.id = old.id AND t.id = ANY (ARRAY(SELECT id FROM old))
            RETURNING t.id, t.run_id, t.org_id, t.seq
        ), att AS (
            INSERT INTO {s}.attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error) SELECT id, attempt, executor_id, executor_ip, started_at, {now}, 'cancelled', NULL FROM old WHERE old.status = 'running' AND old.attempt_open
        ), ev AS (
            INSERT INTO {s}.events (org_id, run_id, task_id, type, created_at)
            SELECT org_id, run_id, id, 'task.cancelled', {now} FROM upd ORDER BY seq
        )
        SELECT count(*)::int FROM old WHERE status = 'running'
        """;

    internal const string ExpiredLeasesSql = """
        SELECT id, lease_token FROM {s}.tasks WHERE status = 'running' AND lease_expires_at <= {now} ORDER BY lease_expires_at LIMIT @limit
        """;

    // Both minima are read from the partial indexes the reaper and the deadline pass use (tasks_leases, runs_deadline).
    internal const string NextMaintenanceDueSql = """
        SELECT extract(epoch FROM (least(
            (SELECT min(lease_expires_at) FROM {s}.tasks WHERE status = 'running'),
            (SELECT min(deadline_at) FROM {s}.runs WHERE deadline_at IS NOT NULL AND status IN ('pending', 'running'))) - {now})) * 1000
        """;

    internal const string DueRunsSql = """
        SELECT id FROM {s}.runs WHERE deadline_at <= {now} AND status NOT IN ('completed', 'failed', 'cancelled')
        ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED
        """;

    internal const string TimeOutRunsSql = """
        WITH upd AS (
            UPDATE {s}.runs r SET status = 'failed', error_json = @error, completed_at = {now}, updated_at = {now}
            WHERE r.id = ANY(@runs) RETURNING r.id, r.org_id, r.seq
        )
        INSERT INTO {s}.events (org_id, run_id, type, data_json, created_at)
        SELECT org_id, id, 'run.failed', '{"reason":"timeout"}', {now} FROM upd ORDER BY seq
        """;

    // Commands (PostgresStore.Commands.cs).
    internal const string LockRunSql = "SELECT {run} FROM {s}.runs r WHERE r.id = @run AND r.org_id = @org FOR UPDATE";

    internal const string InsertTaskSql = """
        WITH ins AS (
            INSERT INTO {s}.tasks AS t (id, run_id, org_id, name, type, status, priority, input_json, metadata_json, dependencies, parent_task_id,
                                   retry_max_attempts, retry_initial_ticks, retry_max_ticks, retry_factor, retry_jitter, timeout_ticks,
                                   enqueue, remaining_deps, created_at, updated_at, queued_at, completed_at, run_limited)
            VALUES (@id, @run, @org, @name, @type, @status, @priority, @input, @meta, @deps, @parent, @maxAttempts, @initial, @maxDelay, @factor,
                    @jitter, @timeout, @enqueue, @remaining, {now}, {now}, CASE WHEN @status = 'queued' THEN {now} END,
                    CASE WHEN @status = 'skipped' THEN {now} END,
                    EXISTS (SELECT 1 FROM {s}.runs lr WHERE lr.id = @run AND lr.max_concurrency IS NOT NULL))
            RETURNING {task}
        ), d AS (
            INSERT INTO {s}.task_dependencies (run_id, dep_name, task_id) SELECT @run, dep, @id FROM unnest(@deps) AS dep
        ), e AS (
            INSERT INTO {s}.events (org_id, run_id, task_id, type, created_at) SELECT @org, @run, @id, 'task.skipped', {now} WHERE @status = 'skipped'
        )
        SELECT * FROM ins
        """;

    internal const string RestartResetSql = """
        UPDATE {s}.tasks SET status = 'pending', attempt = 0, output_json = NULL, error_json = NULL, exit_code = NULL, not_before = NULL, lease_token = NULL,
            lease_expires_at = NULL, queued_at = NULL, started_at = NULL, completed_at = NULL, updated_at = {now}
        WHERE run_id = @run AND status IN ('failed', 'cancelled', 'skipped');
        """ + RestartRequeueSql;

    // A rerun of a completed run (RerunRunAsync): every task of the run is reset, not only those that did not succeed.
    internal const string RerunResetSql = """
        UPDATE {s}.tasks SET status = 'pending', attempt = 0, output_json = NULL, error_json = NULL, exit_code = NULL, not_before = NULL, lease_token = NULL,
            lease_expires_at = NULL, queued_at = NULL, started_at = NULL, completed_at = NULL, updated_at = {now}
        WHERE run_id = @run;
        """ + RestartRequeueSql;

    // The rest of a restart or rerun, once the tasks are reset: dependencies decide again what is ready, and the run is
    // pending again with its deadline counted from now.
    private const string RestartRequeueSql = """
        WITH rem AS (
            SELECT t.id, (SELECT count(*)::int FROM {s}.task_dependencies d JOIN {s}.tasks u ON u.run_id = d.run_id AND u.name = d.dep_name
                          WHERE d.run_id = t.run_id AND d.task_id = t.id AND u.status <> 'completed') AS n
            FROM {s}.tasks t WHERE t.run_id = @run AND t.status = 'pending' AND t.routes IS NULL
        )
        UPDATE {s}.tasks t SET remaining_deps = rem.n,
            status = CASE WHEN rem.n = 0 AND t.enqueue THEN CASE WHEN t.type = 'approval' THEN 'awaiting_approval' ELSE 'queued' END ELSE t.status END,
            queued_at = CASE WHEN rem.n = 0 AND t.enqueue THEN {now} ELSE t.queued_at END,
            not_before = CASE WHEN rem.n = 0 AND t.enqueue THEN NULL ELSE t.not_before END,
            updated_at = CASE WHEN rem.n = 0 AND t.enqueue THEN {now} ELSE t.updated_at END
        FROM rem WHERE t.id = rem.id;
        UPDATE {s}.runs SET status = 'pending', error_json = NULL, completed_at = NULL,
            deadline_at = CASE WHEN deadline_at IS NULL THEN NULL ELSE {now} + (deadline_at - created_at) END, updated_at = {now}
        WHERE id = @run;
        INSERT INTO {s}.events (org_id, run_id, type, created_at) VALUES (@org, @run, 'run.restarted', {now});
        """;

    internal const string UpdateRunSql = """
        UPDATE {s}.runs SET output_json = @output, error_json = @error, metadata_json = @meta, status = @status, started_at = @startedAt,
            completed_at = @completedAt, updated_at = {now}
        WHERE id = @run
        RETURNING updated_at
        """;

    internal const string EventSql = """
        INSERT INTO {s}.events (org_id, run_id, task_id, type, data_json, created_at) VALUES (@org, @run, @task, @type, @data, {now})
        """;

    // Executors (PostgresStore.Executors.cs).
    // The WHERE admits an executor already registered, or a new one while its org is under the cap (soft under
    // concurrent hosts: two may both see the last free place).
    internal const string UpsertExecutor = """
        INSERT INTO {s}.executors AS e (org_id, executor_id, last_seen, jobs_completed, types, capacity)
        SELECT @OrgId, @ExecutorId, @SeenAt, @Completed, @Types::text[], @Capacity::integer
        WHERE EXISTS (SELECT 1 FROM {s}.executors WHERE org_id = @OrgId AND executor_id = @ExecutorId)
           OR (SELECT count(*) FROM {s}.executors WHERE org_id = @OrgId) < @MaxPerOrg
        ON CONFLICT (org_id, executor_id) DO UPDATE SET
            last_seen = GREATEST(e.last_seen, excluded.last_seen),
            jobs_completed = e.jobs_completed + excluded.jobs_completed,
            types = coalesce(excluded.types, e.types),
            capacity = coalesce(excluded.capacity, e.capacity)
        """;


    // More of Commands (PostgresStore.Commands.cs).
    internal const string TaskStatusesByName = "SELECT name, status FROM {s}.tasks WHERE run_id = @run AND name = ANY(@names)";

    internal const string CountTaskInRun = "SELECT count(*)::int FROM {s}.tasks WHERE id = @parent AND run_id = @run";

    internal const string CancelRun = "UPDATE {s}.runs SET status = 'cancelled', completed_at = {now}, updated_at = {now} WHERE id = @runId";

    internal const string RunIdOfTaskInOrg = "SELECT run_id FROM {s}.tasks WHERE id = @id AND org_id = @org";

    internal const string LockTask = "SELECT " + PostgresRows.TaskColumns + " FROM {s}.tasks t WHERE t.id = @id FOR UPDATE";

    internal const string UpdateTaskByClient = """
        UPDATE {s}.tasks SET output_json = @output, error_json = @error, metadata_json = @meta, queue_job_id = @queueJobId, status = @status,
            lease_expires_at = @leaseExpiresAt, not_before = @notBefore, queued_at = @queuedAt, started_at = @startedAt, completed_at = @completedAt,
            attempt_open = CASE WHEN @status = 'running' AND status <> 'running' THEN false ELSE attempt_open END, updated_at = {now}
        WHERE id = @id
        """;

    // After the task's own update: the attempt a claim opened ends with the running period it began.
    internal const string EndAttempt = "INSERT INTO {s}.attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error) SELECT id, attempt, executor_id, executor_ip, started_at, {now}, @outcome, NULL FROM {s}.tasks WHERE id = @id AND attempt_open";

    // More of Executors (PostgresStore.Executors.cs).
    internal const string ExecutorsOfOrg = "SELECT org_id, executor_id, last_seen, jobs_completed, types, capacity FROM {s}.executors WHERE org_id = @orgId ORDER BY executor_id COLLATE \"C\"";

    internal const string DeleteExecutorsSeenBefore = "DELETE FROM {s}.executors WHERE last_seen < @cutoff";

    // Analyze (PostgresStore.Analyze.cs).
    internal const string AnalyzeTables = "ANALYZE {s}.tasks, {s}.task_dependencies, {s}.runs, {s}.attempts";

    // Copy (PostgresStore.Copy.cs).
    internal const string CopyDependencies = "COPY {s}.task_dependencies (run_id, dep_name, task_id) FROM STDIN (FORMAT BINARY)";

    internal const string CopyEventBatches = "COPY {s}.event_batches (org_id, type, run_ids, created_at) FROM STDIN (FORMAT BINARY)";

    // Reads (PostgresStore.Reads.cs).
    internal const string TaskInOrg = "SELECT " + PostgresRows.TaskColumns + " FROM {s}.tasks t WHERE t.id = @taskId AND t.org_id = @orgId";

    // Through the run ((run_id, name)), never the org: the org filter is written so no index can serve it, or the
    // planner, short of statistics, walks tasks_org_seq for its free ORDER BY seq, reading every task of the org (the
    // job queue API's lookup on every complete and heartbeat; as SqliteSql.TasksOfRunInOrg).
    internal const string TasksOfRunInOrg = "SELECT " + PostgresRows.TaskColumns + " FROM {s}.tasks t WHERE t.run_id = @runId AND (t.org_id || '') = @orgId ORDER BY t.seq";

    // Ended attempts in order, then the open one of a running task, which lives on the task row. Its running state is
    // a CASE, so the planner finds the task by its key, never by walking tasks_leases with the id as a filter: between
    // vacuums that partial index holds an entry for every task that ran (432 buffers per lookup mid-drain of the job
    // queue API's http bench, where this runs on every claim).
    internal const string AttemptsOfTaskInOrg = """
        SELECT task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error FROM (
            SELECT a.task_id, a.number, a.executor_id, a.executor_ip, a.started_at, a.ended_at, a.outcome, a.error, a.seq AS k
            FROM {s}.attempts a JOIN {s}.tasks t ON t.id = a.task_id WHERE a.task_id = @taskId AND t.org_id = @orgId
            UNION ALL
            SELECT t.id, t.attempt, t.executor_id, t.executor_ip, t.started_at, NULL, NULL, NULL, 9223372036854775807
            FROM {s}.tasks t WHERE t.id = @taskId AND t.org_id = @orgId AND CASE WHEN t.status = 'running' THEN t.attempt_open ELSE false END) a
        ORDER BY k
        """;

    internal const string LatestRunData = "SELECT " + PostgresRows.RunDataColumns + " FROM {s}.run_data d WHERE d.run_id = @runId AND d.org_id = @orgId AND d.key = @key ORDER BY d.seq DESC LIMIT 1";

    // RunData (PostgresStore.RunData.cs).
    internal const string InsertRunData = """
        INSERT INTO {s}.run_data AS d (id, org_id, run_id, task_id, key, value_json, tags, metadata_json, created_at, updated_at)
        SELECT @id, @org, @run, @task, @key, @value, @tags, @meta, {now}, {now}
        WHERE EXISTS (SELECT 1 FROM {s}.runs WHERE id = @run AND org_id = @org)
        RETURNING
        """ + " " + PostgresRows.RunDataColumns;

    internal const string DeleteRunData = """
        DELETE FROM {s}.run_data WHERE run_id = @run AND org_id = @org AND ((@key::text IS NOT NULL AND key = @key) OR (@id::uuid IS NOT NULL AND id = @id))
        """;

    internal const string LockRunData = "SELECT " + PostgresRows.RunDataColumns + " FROM {s}.run_data d WHERE d.id = @id AND d.run_id = @run AND d.org_id = @org FOR UPDATE";

    internal const string UpdateRunDataTags = "UPDATE {s}.run_data d SET tags = @tags, updated_at = {now} WHERE d.id = @id RETURNING " + PostgresRows.RunDataColumns;

    // Identity (PostgresStore.Identity.cs).
    internal const string InsertOrg = "INSERT INTO {s}.orgs (id, name, created_at) VALUES (@Id, @Name, @CreatedAt) ON CONFLICT (id) DO NOTHING";

    internal const string OrgById = "SELECT id, name, created_at FROM {s}.orgs WHERE id = @orgId";

    internal const string InsertApiKey = """
        INSERT INTO {s}.api_keys (id, org_id, name, secret_hash, permissions, created_at, expires_at, revoked_at, rate_limit, rate_limit_window_seconds)
        VALUES (@Id, @OrgId, @Name, @SecretHash, @Permissions, @CreatedAt, @ExpiresAt, @RevokedAt, @RateLimit, @RateLimitWindowSeconds)
        ON CONFLICT (id) DO NOTHING
        """;

    internal const string ApiKeyById = "SELECT " + PostgresRows.ApiKeyColumns + " FROM {s}.api_keys k WHERE k.id = @keyId";

    internal const string LiveApiKeys = "SELECT " + PostgresRows.ApiKeyColumns + " FROM {s}.api_keys k WHERE k.revoked_at IS NULL AND (@orgId::text IS NULL OR k.org_id = @orgId) ORDER BY k.created_at, k.seq";

    internal const string RevokeApiKey = "UPDATE {s}.api_keys SET revoked_at = {now} WHERE id = @keyId AND revoked_at IS NULL";

    internal const string CountApiKeys = "SELECT count(*)::int FROM {s}.api_keys";
}
