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

    // Writes the keys of a create's tasks in its transaction, after the insert (only tasks with a key are sent).
    internal const string SetLimitKeysSql = """
        UPDATE {s}.tasks t SET limit_key = k.key, limit_max = k.max
        FROM unnest(@ids::uuid[], @keys::text[], @maxes::int[]) AS k(id, key, max)
        WHERE t.id = k.id AND t.id = ANY(@ids)
        """;
}
