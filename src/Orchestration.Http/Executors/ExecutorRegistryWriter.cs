using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestration.Storage;

namespace Orchestration.Http.Executors;

/// <summary>
/// Flushes <see cref="ExecutorTracker"/> every second and, once a minute, drops registry rows not seen for
/// <c>Orchestration:Executors:RegistryRetentionSeconds</c>. Every host runs it: the writes merge (latest time wins,
/// counters add) and the expiry is idempotent, so no leader is needed.
/// </summary>
internal sealed partial class ExecutorRegistryWriter(
    ExecutorTracker tracker, IExecutorRegistry registry, TimeProvider time, IOptions<OrchestrationHttpOptions> options, ILogger<ExecutorRegistryWriter> logger) : BackgroundService
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ExpiryInterval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextExpiry = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(FlushInterval, time, stoppingToken);
                await tracker.FlushAsync(stoppingToken);
                var now = time.GetUtcNow();
                if (now >= nextExpiry)
                {
                    nextExpiry = now + ExpiryInterval;
                    await registry.RemoveExecutorsSeenBeforeAsync(now - options.Value.Executors.RegistryRetention, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The store may be briefly unreachable; what was collected stays buffered for the next pass.
                LogFlushFailed(logger, e);
            }
        }

        try
        {
            await tracker.FlushAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            LogFlushFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the executor registry failed; retrying")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
