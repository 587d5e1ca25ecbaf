using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestration.Hosting;

namespace Orchestration.Postgres;

// Deletes runs past PostgresStoreOptions.RetentionPeriod, on the leader only, in batches so no delete holds locks long.
internal sealed partial class PostgresRetentionService(PostgresStore store, ILeaderElector leader, ILogger<PostgresRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store.Options.RetentionPeriod is not { } period) return;
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await leader.TryLeadAsync(stoppingToken))
                {
                    int deleted;
                    do
                    {
                        deleted = await store.PurgeFinishedRunsAsync(period, store.Options.RetentionBatchSize, stoppingToken);
                        if (deleted > 0) LogPurged(logger, deleted);
                    }
                    while (deleted == store.Options.RetentionBatchSize && !stoppingToken.IsCancellationRequested);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex);
            }

            try
            {
                await Task.Delay(store.Options.RetentionInterval, store.Time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention deleted {Count} finished runs")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention pass failed; retrying next interval")]
    private static partial void LogFailed(ILogger logger, Exception ex);
}
