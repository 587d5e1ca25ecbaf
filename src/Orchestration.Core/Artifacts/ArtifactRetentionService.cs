using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestration.Diagnostics;
using Orchestration.Hosting;

namespace Orchestration.Artifacts;

/// <summary>
/// Leader-only artifact retention: every <see cref="ArtifactOptions.RetentionInterval"/>, deletes artifacts older than
/// <see cref="ArtifactOptions.RetentionTtl"/> in batches of <see cref="ArtifactOptions.RetentionBatchSize"/> until a batch
/// comes back short. Off while no time to live is set.
/// </summary>
internal sealed partial class ArtifactRetentionService(
    ArtifactOptions options,
    ArtifactClient client,
    ILeaderElector leader,
    TimeProvider time,
    ILogger<ArtifactRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.RetentionTtl is null) return;
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.RetentionInterval, time, stoppingToken);
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogPassFailed(logger, e);
            }
        }
    }

    /// <summary>One pass: null when this node does not lead, else how many artifacts it deleted.</summary>
    internal async Task<int?> RunOnceAsync(CancellationToken cancellationToken)
    {
        if (options.RetentionTtl is not { } ttl) return 0;
        if (!await leader.TryLeadAsync(cancellationToken)) return null;
        var total = 0;
        int deleted;
        do
        {
            deleted = await client.DeleteExpiredBatchAsync(ttl, options.RetentionBatchSize, cancellationToken);
            if (deleted > 0) ArtifactMetrics.RetentionDeleted.Add(deleted);
            total += deleted;
        }
        while (deleted >= options.RetentionBatchSize);

        if (total > 0) LogDeleted(logger, total);
        return total;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Artifact retention deleted {Count} artifacts")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Artifact retention pass failed; the next pass retries")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
