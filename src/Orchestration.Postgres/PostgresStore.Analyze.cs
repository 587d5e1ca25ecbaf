using Microsoft.Extensions.Logging;
using Npgsql;

namespace Orchestration.Postgres;

// Fresh planner statistics after bulk enqueues.
public sealed partial class PostgresStore
{
    // A COPY of at least this many tasks asks for fresh statistics.
    internal const int AnalyzeAfterCopiedTasks = 1000;

    private readonly Lock _analyzeGate = new();
    private Task _analyze = Task.CompletedTask;
    private bool _analyzeRunning;
    private bool _analyzeAgain;

    // A bulk enqueue can grow the task tables many times over within seconds, long before autovacuum's next ANALYZE.
    // With statistics from the smaller table the planner estimates a handful of rows where a completion batch meets
    // thousands (a DAG's promoted dependents), picks nested loops over them, and one completion statement took 13 s
    // instead of tens of milliseconds (auto_explain, 2026-11-24). So after a large COPY commits, the store analyzes the
    // tables the hot statements read, in the background so the enqueue does not wait; requests that arrive while one
    // runs are folded into one more pass, so the last enqueue of a burst is always covered.
    private void RequestAnalyze()
    {
        lock (_analyzeGate)
        {
            if (_analyzeRunning)
            {
                _analyzeAgain = true;
                return;
            }

            _analyzeRunning = true;
            _analyze = Task.Run(AnalyzeLoopAsync);
        }
    }

    private async Task AnalyzeLoopAsync()
    {
        while (true)
        {
            try
            {
                await using var conn = await _dataSource.OpenConnectionAsync();
                await using var cmd = new NpgsqlCommand(S(PostgresSql.AnalyzeTables), conn);
                await cmd.ExecuteNonQueryAsync();
            }
            catch (Exception ex) when (ex is NpgsqlException or ObjectDisposedException or InvalidOperationException)
            {
                // Statistics are an optimisation: autovacuum's own ANALYZE comes later anyway.
                LogAnalyzeFailed(_logger, ex);
            }

            lock (_analyzeGate)
            {
                if (!_analyzeAgain)
                {
                    _analyzeRunning = false;
                    return;
                }

                _analyzeAgain = false;
            }
        }
    }

    /// <summary>Completes when the statistics requested so far are fresh (for tests and disposal).</summary>
    internal Task AnalyzeIdleAsync()
    {
        lock (_analyzeGate) return _analyze;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "ANALYZE after a bulk enqueue failed")]
    private static partial void LogAnalyzeFailed(ILogger logger, Exception ex);
}
