namespace Orchestration.Postgres;

/// <summary>Row count and on-disk size of one table of the store.</summary>
/// <param name="Table">Table name (without schema).</param>
/// <param name="Rows">Exact row count.</param>
/// <param name="TotalBytes">Size including indexes and TOAST.</param>
public sealed record PostgresTableStats(string Table, long Rows, long TotalBytes);

// Retention and operator statistics.
public sealed partial class PostgresStore
{
    // Every finished run older than @ageTicks: a retention target without rules.
    private static readonly string PurgeFinishedSql = PurgeTarget.Replace(
        "{where}", "status IN ('completed', 'failed', 'cancelled') AND completed_at < {now} - @ageTicks / 10 * interval '1 microsecond'", StringComparison.Ordinal);

    private static readonly string[] Tables = ["runs", "tasks", "task_dependencies", "attempts", "events", "event_batches", "run_data", "orgs", "api_keys"];

    /// <summary>
    /// Deletes up to <paramref name="batchSize"/> runs that finished more than <paramref name="olderThan"/> ago, with their
    /// tasks, attempts, dependencies, run data and events, in one transaction. Returns how many runs were deleted; call
    /// again while it returns <paramref name="batchSize"/>. An operator's one-off purge: the hosted retention applies the
    /// configured rules (docs/limits.md, "Retention").
    /// </summary>
    public Task<int> PurgeFinishedRunsAsync(TimeSpan olderThan, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return InTransactionAsync((tx, ct) => tx.ScalarAsync<int>(S(PurgeFinishedSql), new { ageTicks = olderThan.Ticks, batch = batchSize }, ct), cancellationToken);
    }

    /// <summary>Exact row counts and total sizes of the store's tables, for operators. Counting scans each table.</summary>
    public Task<IReadOnlyList<PostgresTableStats>> GetTableStatsAsync(CancellationToken cancellationToken)
    {
        var sql = string.Join(" UNION ALL ", Tables.Select(t =>
            $"SELECT '{t}' AS name, (SELECT count(*) FROM {{s}}.{t}) AS rows, pg_total_relation_size('{{s}}.{t}') AS bytes"));
        // The regclass literal needs the schema inside the quotes: '"schema".table'.
        sql = sql.Replace("'{s}.", "'" + _quotedSchema.Replace("'", "''", StringComparison.Ordinal) + ".", StringComparison.Ordinal);
        return OnConnectionAsync<IReadOnlyList<PostgresTableStats>>(async (tx, ct) =>
            await tx.ReadAsync(S(sql), null, r => new PostgresTableStats(r.GetString(0), r.GetInt64(1), r.GetInt64(2)), ct), cancellationToken);
    }
}
