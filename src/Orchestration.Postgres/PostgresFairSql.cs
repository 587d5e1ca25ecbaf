namespace Orchestration.Postgres;

// Statements of fairness between orgs (migration 0013, PostgresStore.Fairness.cs).
internal static class PostgresFairSql
{
    // The highest org with queued tasks without a key (below `bound`, an SQL expression, when given), as a scalar
    // subquery: NULL when there is none. It reads
    // tasks_ready_org backwards from the bound: claims take each org's tasks from the front of its range, so the entries
    // there are of tasks just claimed and not yet vacuumed, while the end of an org's range holds the tasks it will
    // claim last. Reading forwards (min(org_id)) stepped over every such entry of the lowest org on every claim: 52 ms
    // per claim in the middle of a one-org drain of 100,000 tasks. The ORDER BY is that index's, so the planner cannot
    // take tasks_org_seq instead, where an org's finished tasks lie in the way too.
    internal static string ReadyOrgBelow(string? bound) => """
        (SELECT t.org_id FROM {s}.tasks t
         WHERE t.status IN ('queued', 'retrying') AND t.limit_key IS NULL AND t.status = 'queued'{bound}
         ORDER BY t.org_id DESC, t.priority, t.seq DESC LIMIT 1)
        """.Replace("{bound}", bound is null ? "" : " AND t.org_id < " + bound, StringComparison.Ordinal);

    // The orgs with queued tasks without a key: a skip scan of tasks_ready_org from its end, one seek per org.
    internal static readonly string SharingOrgsSql = """
        WITH RECURSIVE o(org) AS (
            SELECT {first}
            UNION ALL
            SELECT {next} FROM o WHERE o.org IS NOT NULL)
        SELECT org FROM o WHERE org IS NOT NULL ORDER BY org
        """.Replace("{first}", ReadyOrgBelow(null), StringComparison.Ordinal).Replace("{next}", ReadyOrgBelow("o.org"), StringComparison.Ordinal);

    // The exclusive claim of ClaimSql with the orgs' shares first: each org's first share of its candidates (part 0),
    // then the common claim order (part 1) without the rows already read for a share (this transaction's own locks are not
    // skipped). The limits are counted in that same order, so a task of a share that a limit refuses is replaced from
    // the common order. Starts of rate-limited keys are counted as in ClaimSql (the next-to-last column: when the
    // earliest window used up ends). The last column says which part a claimed task came from: only shares are charged.
    internal static readonly string FairClaimSql = """
        SELECT pg_advisory_xact_lock(@lockKey);
        WITH share AS MATERIALIZED (
            SELECT s.id, s.run_id, s.type, s.priority, s.seq, s.org_id,
                   row_number() OVER (PARTITION BY s.org_id ORDER BY s.priority DESC, s.seq) AS org_rank
            FROM {s}.share_candidates(@orgs::text[], @shares::int[], @types::text[], @family::text, {now}) s
        ), cand AS (
            SELECT s.id, s.run_id, s.type, s.priority, s.seq, 0 AS part
            FROM share s JOIN unnest(@orgs::text[], @shares::int[]) AS q(org, n) ON q.org = s.org_id
            WHERE s.org_rank <= q.n
            UNION ALL
            SELECT c.id, c.run_id, c.type, c.priority, c.seq, 1
            FROM {s}.claim_candidates(@types::text[], NULL::text, @family::text, {now},
                 @max + CASE WHEN @typeLimited OR EXISTS (SELECT 1 FROM {s}.runs lr WHERE lr.max_concurrency IS NOT NULL AND lr.status IN ('pending', 'running'))
                      THEN @scan ELSE @max END, false) c
            WHERE c.id <> ALL (ARRAY(SELECT id FROM share))
            UNION ALL
            SELECT k.id, k.run_id, k.type, k.priority, k.seq, 1
            FROM {s}.keyed_candidates(@types::text[], NULL::text, @family::text, {now}, @max) k
            WHERE k.id <> ALL (ARRAY(SELECT id FROM share))
        ), ranked AS (
            SELECT c.id, c.run_id, c.type, c.priority, c.seq, c.part, r.max_concurrency, kt.limit_key, kt.limit_max, kt.rate_max, kt.rate_window_ms,
                   row_number() OVER (PARTITION BY c.run_id ORDER BY c.part, c.priority DESC, c.seq) AS run_rank,
                   row_number() OVER (PARTITION BY c.type ORDER BY c.part, c.priority DESC, c.seq) AS type_rank,
                   row_number() OVER (PARTITION BY kt.limit_key ORDER BY c.part, c.priority DESC, c.seq) AS key_rank
            FROM cand c JOIN {s}.runs r ON r.id = c.run_id AND r.id = ANY (ARRAY(SELECT run_id FROM cand))
            JOIN {s}.tasks kt ON kt.id = c.id AND kt.id = ANY (ARRAY(SELECT id FROM cand))
        ), pick AS (
            SELECT k.id, k.part FROM ranked k
            LEFT JOIN unnest(@limitTypes::text[], @limitValues::int[]) AS l(type, lim) ON l.type = k.type
            WHERE (k.max_concurrency IS NULL
                   OR k.run_rank + (SELECT count(*) FROM {s}.tasks x WHERE x.run_id = k.run_id AND x.status = 'running') <= k.max_concurrency)
              AND (l.lim IS NULL
                   OR k.type_rank + (SELECT count(*) FROM {s}.tasks y WHERE y.type = k.type AND y.status = 'running') <= l.lim)
              -- Two orgs' shares may both hold tasks of one key (keyed_candidates counted its free slots and its rate
              -- window's room for each), so both are counted again across the shares; a key may have only one of them.
              AND (k.limit_key IS NULL
                   OR ((k.limit_max IS NULL
                        OR k.key_rank + (SELECT count(*) FROM {s}.tasks z WHERE z.status = 'running' AND z.limit_key IS NOT NULL
                                         AND z.limit_key = k.limit_key AND z.lease_expires_at IS NOT NULL) <= k.limit_max)
                       AND (k.rate_max IS NULL OR k.key_rank <= {s}.key_rate_room(k.limit_key, k.rate_max, k.rate_window_ms, {now}))))
            ORDER BY k.part, k.priority DESC, k.seq
            LIMIT @max
        ), {writes}
        SELECT {task}, {rateWake}, p.part FROM claimed t JOIN pick p ON p.id = t.id ORDER BY p.part, t.priority DESC, t.seq
        """.Replace("{writes}", PostgresSql.ClaimWrites("pick") + PostgresKeySql.CountStartsCte, StringComparison.Ordinal)
        .Replace("{rateWake}", PostgresKeySql.RateWakeColumn, StringComparison.Ordinal);
}
