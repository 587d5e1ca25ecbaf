using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestration.Hosting;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>Leader-only housekeeping: reaps expired leases and fails runs past their deadline.</summary>
internal sealed partial class MaintenanceService(
    IOrchestrationStore store,
    ILeaderElector leader,
    MaintenanceOptions options,
    TimeProvider time,
    ILogger<MaintenanceService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled) return;
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await leader.TryLeadAsync(stoppingToken)) await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPassFailed(logger, ex);
            }

            try
            {
                await Task.Delay(options.Interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        int reaped;
        do
        {
            reaped = await store.ReleaseExpiredLeasesAsync(options.BatchSize, cancellationToken);
            if (reaped > 0)
            {
                LogReaped(logger, reaped);
                Diagnostics.OrchestrationMetrics.LeaseExpirations.Add(reaped);
            }
        }
        while (reaped == options.BatchSize);

        int timedOut;
        do
        {
            timedOut = await store.FailTimedOutRunsAsync(options.BatchSize, cancellationToken);
            if (timedOut > 0) LogTimedOut(logger, timedOut);
        }
        while (timedOut == options.BatchSize);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Maintenance pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reaped {Count} expired leases")]
    private static partial void LogReaped(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Failed {Count} runs past their deadline")]
    private static partial void LogTimedOut(ILogger logger, int count);
}
