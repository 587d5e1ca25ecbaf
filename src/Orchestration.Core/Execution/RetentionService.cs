using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestration.Diagnostics;
using Orchestration.Hosting;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>
/// Leader-only retention: every <see cref="RetentionOptions.Interval"/>, deletes what is due in batches of
/// <see cref="RetentionOptions.BatchSize"/>, one transaction each, until a batch comes back short.
/// </summary>
internal sealed partial class RetentionService(
    RetentionOptions options,
    ILeaderElector leader,
    TimeProvider time,
    ILogger<RetentionService> logger,
    IRetentionStore? store = null) : BackgroundService
{
    private readonly RetentionPass _pass = options.ToPass();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled || !options.HasWork) return;
        if (store is null)
        {
            LogNoStore(logger);
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            // The first pass waits an interval too: a host that restarts often does not delete at every start.
            try
            {
                await Task.Delay(options.Interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPassFailed(logger, ex);
            }
        }
    }

    /// <summary>One pass on the leader: batches until one is not full. Returns what it deleted; null when not leader.</summary>
    internal async Task<(int Runs, int Deliveries)?> RunOnceAsync(CancellationToken cancellationToken)
    {
        if (!await leader.TryLeadAsync(cancellationToken)) return null;
        int runs = 0, deliveries = 0;
        RetentionResult result;
        do
        {
            result = await store!.DeleteExpiredRunsAsync(_pass, cancellationToken);
            foreach (var count in result.Runs)
            {
                if (count.Runs == 0) continue;
                OrchestrationMetrics.RetentionRunsDeleted.Add(count.Runs,
                    new KeyValuePair<string, object?>("rule", count.Rule), new KeyValuePair<string, object?>("state", count.State == RetentionState.Completed ? "completed" : "failed"));
            }

            if (result.WebhookDeliveries > 0) OrchestrationMetrics.RetentionDeliveriesDeleted.Add(result.WebhookDeliveries);
            runs += result.TotalRuns;
            deliveries += result.WebhookDeliveries;
            // Progress of a long catch-up, one line per batch.
            if (result.IsFull) LogProgress(logger, runs, deliveries);
        }
        while (result.IsFull && !cancellationToken.IsCancellationRequested);

        if (runs > 0 || deliveries > 0) LogDeleted(logger, runs, deliveries);
        return (runs, deliveries);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention: the store does not implement IRetentionStore; nothing is deleted")]
    private static partial void LogNoStore(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention pass failed; retrying next interval")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention in progress: {Runs} runs and {Deliveries} webhook deliveries deleted so far")]
    private static partial void LogProgress(ILogger logger, int runs, int deliveries);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention deleted {Runs} finished runs and {Deliveries} webhook deliveries")]
    private static partial void LogDeleted(ILogger logger, int runs, int deliveries);
}
