using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestration.Engine;
using Orchestration.Hosting;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>
/// Leader-only cron firing: fires what is due, then sleeps until the earliest next fire time (a TimeProvider timer), a
/// schedule change in this process, or <see cref="IdleInterval"/>, whichever comes first. The idle wake-up is what
/// notices leadership gained and schedules changed on other hosts; it is not a poll of due rows.
/// </summary>
internal sealed partial class ScheduleFiringService(
    ScheduleFiring firing,
    IScheduleStore store,
    ILeaderElector leader,
    ScheduleSignal signal,
    TimeProvider time,
    ILogger<ScheduleFiringService> logger) : BackgroundService
{
    internal static readonly TimeSpan IdleInterval = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan AfterFailure = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var version = signal.Changed.Version;
            TimeSpan wait;
            try
            {
                wait = await PassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPassFailed(logger, ex);
                wait = AfterFailure;
            }

            try
            {
                if (wait > TimeSpan.Zero) await signal.Changed.WaitAsync(version, wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass when leading; returns how long to sleep before the next.</summary>
    internal async Task<TimeSpan> PassAsync(CancellationToken cancellationToken)
    {
        if (!await leader.TryLeadAsync(cancellationToken)) return IdleInterval;
        await firing.FireDueAsync(cancellationToken);
        var next = await store.NextScheduleFireAtAsync(cancellationToken);
        if (next is not { } at) return IdleInterval;
        var wait = at - time.GetUtcNow();
        // Still due after a pass: a schedule that failed to fire (logged); retrying at once would spin.
        if (wait <= TimeSpan.Zero) return AfterFailure;
        return wait < IdleInterval ? wait : IdleInterval;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A schedule firing pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);
}
