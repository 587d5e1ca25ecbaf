using System.Text;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Retention by rule and storage growth. One batch is one transaction; victims are locked with SKIP LOCKED, so a batch
// never waits on a run another transaction holds, and two leaders (a handover) never delete the same run.
public sealed partial class PostgresStore : IRetentionStore
{
    // Above this many rows a table's count is the planner's estimate (pg_class.reltuples) instead of a count.
    internal const int ExactCountLimit = 100_000;

    /// <inheritdoc />
    public Task<RetentionResult> DeleteExpiredRunsAsync(RetentionPass pass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentOutOfRangeException.ThrowIfLessThan(pass.BatchSize, 1);
        return InTransactionAsync(async (tx, ct) =>
        {
            var budget = pass.BatchSize;
            var counts = new List<RetentionCount>();
            foreach (var target in pass.Targets)
            {
                if (budget == 0) break;
                var (sql, args) = PurgeTargetSql(target, budget);
                var deleted = await tx.ScalarAsync<int>(S(sql), args, ct);
                budget -= deleted;
                if (deleted > 0) counts.Add(new RetentionCount(target.Rule, target.State, deleted));
            }

            var deliveries = pass.WebhookDeliveryTtl is { } ttl
                ? await tx.ExecAsync(S("""
                    DELETE FROM {s}.webhook_deliveries WHERE id IN (
                        SELECT id FROM {s}.webhook_deliveries
                        WHERE status <> 'pending' AND created_at <= {now} - @ttlTicks / 10 * interval '1 microsecond'
                        ORDER BY created_at LIMIT @batch FOR UPDATE SKIP LOCKED)
                    """), new { ttlTicks = ttl.Ticks, batch = pass.BatchSize }, ct)
                : 0;
            return new RetentionResult(counts, deliveries, pass.BatchSize);
        }, cancellationToken);
    }

    // A run and every row of it; {where} picks the runs (retention targets, and PurgeFinishedRunsAsync).
    internal const string PurgeTarget = """
        WITH victims AS (
            SELECT id, completed_at FROM {s}.runs WHERE {where}
            ORDER BY completed_at LIMIT @batch FOR UPDATE SKIP LOCKED
        ), ev AS (
            DELETE FROM {s}.events WHERE run_id IN (SELECT id FROM victims)
        ),
        """ + PostgresEventSql.PurgeBatches + """
        , gone AS (
            DELETE FROM {s}.tasks WHERE run_id IN (SELECT id FROM victims) RETURNING id
        ), att AS (
            DELETE FROM {s}.attempts WHERE task_id IN (SELECT id FROM gone)
        ), deps AS (
            DELETE FROM {s}.task_dependencies WHERE run_id IN (SELECT id FROM victims)
        ), del AS (
            DELETE FROM {s}.runs WHERE id IN (SELECT id FROM victims) RETURNING 1
        )
        SELECT count(*)::int FROM del
        """;

    // The runs of a target: its statuses, time to live and run matches. Names the target's statuses, time to live and run matches. Names
    // compare with IS NOT DISTINCT FROM, so a run without a name is not excluded by a rule for a name it does not have.
    private static (string Sql, Dictionary<string, object?> Args) PurgeTargetSql(RetentionTarget target, int limit)
    {
        var where = new StringBuilder("status IN (");
        where.AppendJoin(", ", target.Statuses.Select(s => $"'{s.ToWire()}'"));
        where.Append(") AND completed_at <= {now} - @ttlTicks / 10 * interval '1 microsecond'");
        var args = new Dictionary<string, object?> { ["ttlTicks"] = target.Ttl.Ticks, ["batch"] = limit };
        Match(where, args, target.Match, negate: false);
        foreach (var except in target.Except) Match(where, args, except, negate: true);
        return (PurgeTarget.Replace("{where}", where.ToString(), StringComparison.Ordinal), args);
    }

    private static void Match(StringBuilder where, Dictionary<string, object?> args, RunMatch match, bool negate)
    {
        if (match.Family is null && match.Name is null) return;
        where.Append(negate ? " AND NOT (true" : " AND (true");
        if (match.Family is not null)
        {
            var p = "p" + args.Count;
            where.Append(" AND family = @").Append(p);
            args[p] = match.Family;
        }

        if (match.Name is not null)
        {
            var p = "p" + args.Count;
            where.Append(" AND name IS NOT DISTINCT FROM @").Append(p);
            args[p] = match.Name;
        }

        where.Append(')');
    }

    /// <inheritdoc />
    /// <remarks>
    /// Counts are exact up to <see cref="ExactCountLimit"/> rows (a count that stops there), above it the planner's
    /// estimate; the oldest row is read through an index (runs and tasks by their time-ordered ids, attempts and run data
    /// by their oldest task or run, events by sequence), so the figures cost a few index probes, not table scans.
    /// </remarks>
    public Task<IReadOnlyList<TableGrowth>> GetStorageGrowthAsync(CancellationToken cancellationToken) =>
        OnConnectionAsync<IReadOnlyList<TableGrowth>>(async (tx, ct) =>
        {
            var result = new List<TableGrowth>(GrowthTables.All.Count);
            foreach (var (name, table, oldest) in GrowthQueries)
            {
                var rows = await tx.ScalarAsync<long>(S($"SELECT count(*) FROM (SELECT 1 FROM {{s}}.{table} LIMIT {ExactCountLimit + 1}) x"), null, ct);
                var estimated = false;
                if (rows > ExactCountLimit)
                {
                    var regclass = _quotedSchema.Replace("'", "''", StringComparison.Ordinal) + "." + table;
                    rows = Math.Max(rows, await tx.ScalarAsync<long>($"SELECT reltuples::bigint FROM pg_class WHERE oid = '{regclass}'::regclass", null, ct));
                    estimated = true;
                }

                var at = await tx.ScalarAsync<DateTime?>(S(oldest), null, ct);
                result.Add(new TableGrowth(name, rows, at is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null, estimated));
            }

            return result;
        }, cancellationToken);

    private static readonly (string Name, string Table, string Oldest)[] GrowthQueries =
    [
        (GrowthTables.Runs, "runs", "SELECT created_at FROM {s}.runs ORDER BY id LIMIT 1"),
        (GrowthTables.Tasks, "tasks", "SELECT created_at FROM {s}.tasks ORDER BY id LIMIT 1"),
        (GrowthTables.Attempts, "attempts", "SELECT started_at FROM {s}.attempts ORDER BY task_id, seq LIMIT 1"),
        (GrowthTables.Events, "event_log", PostgresEventSql.OldestEvent),
        (GrowthTables.RunData, "run_data", "SELECT created_at FROM {s}.run_data ORDER BY run_id, seq LIMIT 1"),
        (GrowthTables.WebhookDeliveries, "webhook_deliveries", "SELECT min(created_at) FROM {s}.webhook_deliveries"),
        (GrowthTables.Executors, "executors", "SELECT min(last_seen) FROM {s}.executors"),
    ];
}
