using System.Text;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Retention by rule and storage growth. One batch is one write transaction on the single writer, so a long catch-up
// never keeps other writers waiting longer than one batch.
public sealed partial class SqliteStore : IRetentionStore
{
    /// <inheritdoc />
    public Task<RetentionResult> DeleteExpiredRunsAsync(RetentionPass pass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentOutOfRangeException.ThrowIfLessThan(pass.BatchSize, 1);
        return WriteAsync(tx =>
        {
            var db = tx.Db;
            var budget = pass.BatchSize;
            var counts = new List<RetentionCount>();
            foreach (var target in pass.Targets)
            {
                if (budget == 0) break;
                var (sql, args) = VictimsSql(target, (tx.Now - target.Ttl).UtcTicks, budget);
                var victims = db.Query(sql, r => (Seq: r.GetInt64(0), Id: r.GetString(1)), args);
                foreach (var (seq, id) in victims)
                {
                    // Tasks, their attempts and dependency edges, and run data go by their foreign keys' cascade.
                    db.Exec("DELETE FROM events WHERE run_id = $id", id);
                    db.Exec("DELETE FROM runs WHERE seq = $seq", seq);
                    // Later writes of this process must not find the run in the images.
                    tx.Cache.Runs.Remove(Guid.Parse(id));
                }

                SqliteEventBatches.Purge(db, victims.Select(v => v.Id).ToList(), (tx.Now - target.Ttl).UtcTicks);
                budget -= victims.Count;
                if (victims.Count > 0) counts.Add(new RetentionCount(target.Rule, target.State, victims.Count));
            }

            var deliveries = pass.WebhookDeliveryTtl is { } ttl
                ? db.Exec("""
                    DELETE FROM webhook_deliveries WHERE rowid IN (
                        SELECT rowid FROM webhook_deliveries WHERE status <> 'pending' AND created_at <= $cutoff ORDER BY created_at LIMIT $limit)
                    """, (tx.Now - ttl).UtcTicks, pass.BatchSize)
                : 0;
            return new RetentionResult(counts, deliveries, pass.BatchSize);
        }, cancellationToken);
    }

    // The oldest finished runs of the target, through ix_runs_finished. Names compare with IS, so a run without a name
    // is not excluded by a rule for a name it does not have.
    private static (string Sql, object?[] Args) VictimsSql(RetentionTarget target, long cutoffTicks, int limit)
    {
        var sql = new StringBuilder("SELECT seq, id FROM runs WHERE status IN (");
        sql.AppendJoin(", ", target.Statuses.Select(s => $"'{s.ToWire()}'"));
        sql.Append(") AND completed_at <= $cutoff");
        var args = new List<object?> { cutoffTicks };
        Match(sql, args, target.Match, negate: false);
        foreach (var except in target.Except) Match(sql, args, except, negate: true);
        sql.Append(" ORDER BY completed_at LIMIT $limit");
        args.Add(limit);
        return (sql.ToString(), args.ToArray());
    }

    private static void Match(StringBuilder sql, List<object?> args, RunMatch match, bool negate)
    {
        if (match.Family is null && match.Name is null) return;
        sql.Append(negate ? " AND NOT (1" : " AND (1");
        if (match.Family is not null)
        {
            sql.Append(" AND family IS $p").Append(args.Count);
            args.Add(match.Family);
        }

        if (match.Name is not null)
        {
            sql.Append(" AND name IS $p").Append(args.Count);
            args.Add(match.Name);
        }

        sql.Append(')');
    }

    /// <inheritdoc />
    /// <remarks>
    /// Exact counts (SQLite walks the smallest index of each table, a few milliseconds per hundred thousand rows);
    /// the oldest row is the first by insertion order, read through the primary key.
    /// </remarks>
    public Task<IReadOnlyList<TableGrowth>> GetStorageGrowthAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<TableGrowth>>(db =>
        {
            TableGrowth Table(string name, string table, string oldest)
            {
                var rows = (long)db.Scalar($"SELECT count(*) FROM {table}")!;
                var at = db.Scalar(oldest) is long ticks ? SqliteValues.Time(ticks) : (DateTimeOffset?)null;
                return new TableGrowth(name, rows, at);
            }

            // Events: the rows written before migration 0019 and the live events of the batch rows.
            TableGrowth Events()
            {
                var rows = (long)db.Scalar("SELECT (SELECT count(*) FROM events) + (SELECT coalesce(sum(live), 0) FROM event_batches)")!;
                var at = db.Scalar("SELECT coalesce((SELECT created_at FROM events ORDER BY seq LIMIT 1), (SELECT created_at FROM event_batches ORDER BY seq LIMIT 1))") is long ticks
                    ? SqliteValues.Time(ticks) : (DateTimeOffset?)null;
                return new TableGrowth(GrowthTables.Events, rows, at);
            }

            return
            [
                Table(GrowthTables.Runs, "runs", "SELECT created_at FROM runs ORDER BY seq LIMIT 1"),
                Table(GrowthTables.Tasks, "tasks", "SELECT created_at FROM tasks ORDER BY seq LIMIT 1"),
                Table(GrowthTables.Attempts, "task_attempts", "SELECT started_at FROM task_attempts ORDER BY seq LIMIT 1"),
                Events(),
                Table(GrowthTables.RunData, "run_data", "SELECT created_at FROM run_data ORDER BY seq LIMIT 1"),
                Table(GrowthTables.WebhookDeliveries, "webhook_deliveries", "SELECT created_at FROM webhook_deliveries ORDER BY rowid LIMIT 1"),
                Table(GrowthTables.Executors, "executors", "SELECT min(last_seen) FROM executors"),
            ];
        }, cancellationToken);
}
