namespace Orchestration.Postgres;

// Statements of per-key concurrency limits (migration 0008) used beside the claim and completion statements, which
// carry the keys themselves (PostgresSql: the fast claim's gate also asks whether a key has a free slot, the exclusive
// claim adds the keyed candidates to the others before ranking them, and the completion's wake-up also fires for a
// key whose waiting task the completed one held back).
internal static class PostgresKeySql
{
    // Whether tasks that left running (failed, expired, or completed off the batch path) freed a slot a queued task waits
    // for: in a run held back by its concurrency limit, or of a key at its limit. The waiting task must not wait for the
    // safety poll (a minute while LISTEN is up).
    internal const string QueuedInLimitedRunsOrKeysSql = """
        SELECT EXISTS (SELECT 1 FROM {s}.runs r WHERE r.id = ANY(@runs) AND r.max_concurrency IS NOT NULL
                       AND EXISTS (SELECT 1 FROM {s}.tasks q WHERE q.run_id = r.id AND q.status = 'queued'))
            OR EXISTS (SELECT 1 FROM {s}.tasks q WHERE q.status IN ('queued', 'retrying') AND q.limit_key IS NOT NULL
                       AND q.limit_key = ANY (ARRAY(SELECT f.limit_key FROM {s}.tasks f WHERE f.id = ANY(@ids) AND f.limit_key IS NOT NULL)))
        """;

    // Writes the keys, running limits and rates of a create's tasks in its transaction, after the insert (only tasks with
    // a key are sent); a key limited by its rate only has no running limit (migration 0014).
    internal const string SetLimitKeysWithRatesSql = """
        UPDATE {s}.tasks t SET limit_key = k.key, limit_max = k.max, rate_max = k.rmax, rate_window_ms = k.rwin
        FROM unnest(@ids::uuid[], @keys::text[], @maxes::int[], @rmaxes::int[], @rwins::bigint[]) AS k(id, key, max, rmax, rwin)
        WHERE t.id = k.id AND t.id = ANY(@ids)
        """;

    // Appended to the exclusive claim's writes (only that path takes keyed tasks): counts the claimed tasks of each
    // rate-limited key into its current window (a new window starts the count again), with the window its first claimed
    // task carries. The claim reads back, in its last column, the milliseconds until the earliest window it used up
    // ends: the host then wakes its workers, and tells the others, for that moment.
    internal const string CountStartsCte = """
        , counted AS (
            INSERT INTO {s}.key_rates AS kr (key, window_start_ms, starts, max_starts, window_ms)
            SELECT g.key, {s}.key_rate_window({now}, g.win), g.n, g.max, g.win FROM (
                SELECT c.limit_key AS key, count(*)::int AS n,
                       (array_agg(c.rate_max ORDER BY c.priority DESC, c.seq))[1] AS max,
                       (array_agg(c.rate_window_ms ORDER BY c.priority DESC, c.seq))[1] AS win
                FROM claimed c WHERE c.limit_key IS NOT NULL AND c.rate_max IS NOT NULL GROUP BY c.limit_key) g
            ON CONFLICT (key) DO UPDATE SET
                starts = CASE WHEN kr.window_start_ms = excluded.window_start_ms THEN kr.starts + excluded.starts ELSE excluded.starts END,
                window_start_ms = excluded.window_start_ms, max_starts = excluded.max_starts, window_ms = excluded.window_ms
            RETURNING kr.starts, kr.max_starts, kr.window_start_ms + kr.window_ms AS ends_ms
        )
        """;

    internal const string RateWakeColumn =
        "(SELECT min(u.ends_ms) FROM counted u WHERE u.starts >= u.max_starts) - floor(extract(epoch FROM {now}) * 1000)::bigint";
}
