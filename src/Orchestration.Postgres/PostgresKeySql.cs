namespace Orchestration.Postgres;

// Statements of per-key concurrency limits (migration 0008), derived from the store's own statements so that the
// claim and completion paths stay one statement each: the fast claim's gate also asks whether a key has a free slot,
// the exclusive claim adds the keyed candidates to the others before ranking them in one claim order, and the
// completion's wake-up also fires for a key whose waiting task the completed one held back.
internal static class PostgresKeySql
{
    internal static readonly string FastClaimSql = Edit(PostgresSql.FastClaimSql,
        "AND (@org::text IS NULL OR l.org_id = @org)) AS limited",
        "AND (@org::text IS NULL OR l.org_id = @org)) OR {s}.keyed_work_ready(@types::text[], @org::text, {now}) AS limited");

    internal static readonly string ClaimSql = Edit(PostgresSql.ClaimSql,
        "\n), ranked AS (",
        """

            UNION ALL
            SELECT k.id, k.run_id, k.type, k.priority, k.seq
            FROM {s}.keyed_candidates(@types::text[], @org::text, @family::text, {now}, @max) k
        ), ranked AS (
        """.TrimEnd());

    internal static readonly string CompleteBatchSql = Edit(Edit(PostgresSql.CompleteBatchSql,
        "t.executor_ip, t.started_at\n), att AS (",
        "t.executor_ip, t.started_at, t.limit_key\n), att AS ("),
        "\n        LIMIT 1) x",
        """

                UNION ALL
                -- A key at its limit has a waiting task no claim took while the slot was busy.
                SELECT 1 FROM {s}.tasks q WHERE q.status IN ('queued', 'retrying') AND q.limit_key IS NOT NULL
                    AND q.limit_key = ANY (ARRAY(SELECT limit_key FROM done WHERE limit_key IS NOT NULL))
                LIMIT 1) x
        """.TrimEnd());

    // QueuedInLimitedRunsSql, plus: a failed or expired task of a key with a waiting task freed that key's slot.
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

    private static string Edit(string sql, string find, string replacement)
    {
        var at = sql.IndexOf(find, StringComparison.Ordinal);
        if (at < 0 || sql.IndexOf(find, at + 1, StringComparison.Ordinal) >= 0)
            throw new InvalidOperationException($"Orchestration: the statement to extend for key limits no longer contains '{find}' exactly once.");
        return string.Concat(sql.AsSpan(0, at), replacement, sql.AsSpan(at + find.Length));
    }
}
