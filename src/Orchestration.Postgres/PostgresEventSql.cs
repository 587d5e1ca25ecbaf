namespace Orchestration.Postgres;

// Events per batch (migration 0020): the statements of the hot path write one event_batches row per (org, event type)
// instead of one events row per event, and reads expand them. See the migration for the numbering.
internal static class PostgresEventSql
{
    // Sequence bits of the position inside a batch row: event i of row s is (s << IndexBits) | i.
    internal const int IndexBits = 12;

    internal const int MaxBatch = 1 << IndexBits;

    // The INSERT of a statement's events, from a subquery {rows} with columns k (rank of the event kind within the
    // statement: kinds of a lower k come first, e.g. a run's start before its tasks'), s (order within a kind),
    // org_id, run_id, task_id, type and data_json. One row per (k, org, type), split every MaxBatch events; rows are
    // numbered in that order, so within one run the order of its events is the one the per-event rows had.
    internal static string InsertBatches(string rows) => """
        INSERT INTO {s}.event_batches (org_id, type, run_ids, task_ids, data, created_at)
        SELECT org_id, type, array_agg(run_id ORDER BY s),
               CASE WHEN bool_and(task_id IS NULL) THEN NULL ELSE array_agg(task_id ORDER BY s) END,
               CASE WHEN bool_and(data_json IS NULL) THEN NULL ELSE array_agg(data_json ORDER BY s) END,
               {now}
        FROM (SELECT e.*, (row_number() OVER (PARTITION BY e.k, e.org_id, e.type ORDER BY e.s) - 1) / {max} AS chunk FROM ({rows}) e) e
        GROUP BY k, org_id, type, chunk
        ORDER BY k, org_id, type, chunk
        """.Replace("{rows}", rows, StringComparison.Ordinal).Replace("{max}", MaxBatch.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    // Events after a sequence, from both tables: the single events by their primary key, the batch rows from the one
    // holding the watermark on (it may still hold later events). Every batch row but that first one holds at least one
    // event (rows left empty by the purge are deleted), so @limit + 1 rows are enough for @limit events.
    internal static readonly string EventsAfter = WithBits("""
        SELECT seq, org_id, run_id, task_id, type, data_json, created_at FROM (
            (SELECT e.seq, e.org_id, e.run_id, e.task_id, e.type, e.data_json, e.created_at FROM {s}.events e
             WHERE e.seq > @afterSequence AND (@orgId::text IS NULL OR e.org_id = @orgId) ORDER BY e.seq LIMIT @limit)
            UNION ALL
            (SELECT (b.seq << {bits}) | (x.i - 1), b.org_id, x.run_id, x.task_id, b.type, x.data_json, b.created_at
             FROM (SELECT * FROM {s}.event_batches b WHERE b.seq >= (@afterSequence::bigint >> {bits}) AND (@orgId::text IS NULL OR b.org_id = @orgId)
                   ORDER BY b.seq LIMIT @limit + 1) b
             CROSS JOIN LATERAL unnest(b.run_ids, b.task_ids, b.data) WITH ORDINALITY AS x(run_id, task_id, data_json, i)
             WHERE x.run_id IS NOT NULL AND ((b.seq << {bits}) | (x.i - 1)) > @afterSequence)
        ) e ORDER BY seq LIMIT @limit
        """);

    // The purge's part (a CTE list after PurgeTarget's victims, which carry id and completed_at): a victim's events in
    // batch rows are blanked in place, and rows left with no event are deleted. Only rows written up to the last
    // victim's completion can hold its events (event_batches_created bounds that scan).
    internal const string PurgeBatches = """
        vic AS (
            SELECT array_agg(id) AS ids, max(completed_at) AS last FROM victims
        ), hit AS (
            SELECT b.seq,
                   array_agg(CASE WHEN u.r = ANY (v.ids) THEN NULL ELSE u.r END ORDER BY u.i) AS run_ids,
                   array_agg(CASE WHEN u.r = ANY (v.ids) THEN NULL ELSE u.t END ORDER BY u.i) AS task_ids,
                   array_agg(CASE WHEN u.r = ANY (v.ids) THEN NULL ELSE u.d END ORDER BY u.i) AS data,
                   bool_and(u.r IS NULL OR u.r = ANY (v.ids)) AS emptied
            FROM vic v
            JOIN {s}.event_batches b ON b.created_at <= v.last AND b.run_ids && v.ids
            CROSS JOIN LATERAL unnest(b.run_ids, b.task_ids, b.data) WITH ORDINALITY AS u(r, t, d, i)
            GROUP BY b.seq
        ), evb_gone AS (
            DELETE FROM {s}.event_batches b USING hit WHERE b.seq = hit.seq AND hit.emptied
        ), evb_blank AS (
            UPDATE {s}.event_batches b SET run_ids = hit.run_ids, task_ids = hit.task_ids, data = hit.data
            FROM hit WHERE b.seq = hit.seq AND NOT hit.emptied
        )
        """;

    // The oldest event: the single events' first row or the first batch row, whichever has the lower sequence.
    internal static readonly string OldestEvent = WithBits("""
        SELECT created_at FROM (
            (SELECT seq, created_at FROM {s}.events ORDER BY seq LIMIT 1)
            UNION ALL
            (SELECT seq << {bits}, created_at FROM {s}.event_batches ORDER BY seq LIMIT 1)) x
        ORDER BY seq LIMIT 1
        """);

    private static string WithBits(string sql) => sql.Replace("{bits}", IndexBits.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
