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
    WorkerOptions worker,
    TimeProvider time,
    ILogger<MaintenanceService> logger,
    IMaintenanceSchedule? schedule = null) : BackgroundService
{
    /// <summary>The longest wait between passes while they find nothing to do.</summary>
    internal TimeSpan IdleInterval => options.IdleInterval
        ?? TimeSpan.FromTicks(Math.Max(options.Interval.Ticks, Math.Min(options.Interval.Ticks * 10, worker.LeaseDuration.Ticks / 3)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled) return;
        await Task.Yield();
        var wait = options.Interval;
        // Registered by the store's package, so a decorator of the store (instrumentation) does not hide it.
        var due = schedule ?? store as IMaintenanceSchedule;
        while (!stoppingToken.IsCancellationRequested)
        {
            var busy = false;
            TimeSpan? scheduled = null;
            // Read before the pass, so work signalled while it runs cuts the following sleep short.
            var version = store.WorkAvailable.Version;
            try
            {
                if (await leader.TryLeadAsync(stoppingToken))
                {
                    // With a schedule, a pass runs only when something is due: asking costs one statement, a pass two
                    // transactions.
                    var next = due is null ? TimeSpan.Zero : await due.NextMaintenanceDueAsync(stoppingToken);
                    if (next is { } d && d <= TimeSpan.Zero)
                    {
                        busy = await RunOnceAsync(stoppingToken);
                        if (!busy && due is not null) scheduled = ScheduledWait(await due.NextMaintenanceDueAsync(stoppingToken));
                    }
                    else
                    {
                        scheduled = ScheduledWait(next);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPassFailed(logger, ex);
            }

            wait = NextWait(wait, busy);
            try
            {
                if (scheduled is { } until)
                {
                    wait = IdleInterval;
                    await SleepUntilDueAsync(until, version, stoppingToken);
                }
                else
                {
                    await Task.Delay(wait, time, stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The sleep of an idle leader whose store knows when the next pass is due: until then (nothing due: the longest
    /// scheduled wait), but never shorter than <see cref="MaintenanceOptions.Interval"/>.
    /// </summary>
    internal TimeSpan ScheduledWait(TimeSpan? due) =>
        TimeSpan.FromTicks(Math.Clamp((due ?? options.ScheduledIdleInterval).Ticks, options.Interval.Ticks, Math.Max(options.Interval.Ticks, options.ScheduledIdleInterval.Ticks)));

    // Work signalled during a long sleep brings leases and deadlines this pass did not see: the next pass then comes no
    // later than IdleInterval after the signal, as it would without a schedule.
    internal async Task SleepUntilDueAsync(TimeSpan until, long version, CancellationToken stoppingToken)
    {
        var dueAt = time.GetUtcNow() + until;
        if (until <= IdleInterval)
        {
            await Task.Delay(until, time, stoppingToken);
            return;
        }

        await store.WorkAvailable.WaitAsync(version, until, time, stoppingToken);
        var rest = AfterSignal(dueAt, time.GetUtcNow());
        if (rest > TimeSpan.Zero) await Task.Delay(rest, time, stoppingToken);
    }

    /// <summary>What is left of a scheduled sleep once work was signalled: at most <see cref="IdleInterval"/>.</summary>
    internal TimeSpan AfterSignal(DateTimeOffset dueAt, DateTimeOffset now)
    {
        var left = dueAt - now;
        return left <= TimeSpan.Zero ? TimeSpan.Zero : left < IdleInterval ? left : IdleInterval;
    }

    /// <summary>
    /// The wait before the next pass: <see cref="MaintenanceOptions.Interval"/> after a pass that did work, else twice
    /// the previous wait up to <see cref="IdleInterval"/>. A failed pass counts as idle, which also spares a database in
    /// trouble.
    /// </summary>
    internal TimeSpan NextWait(TimeSpan previous, bool busy) =>
        busy ? options.Interval : TimeSpan.FromTicks(Math.Min(previous.Ticks * 2, IdleInterval.Ticks));

    /// <summary>One pass; true when it reaped a lease or failed a run.</summary>
    internal async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        var busy = false;
        int reaped;
        do
        {
            reaped = await store.ReleaseExpiredLeasesAsync(options.BatchSize, cancellationToken);
            if (reaped > 0)
            {
                busy = true;
                LogReaped(logger, reaped);
                Diagnostics.OrchestrationMetrics.LeaseExpirations.Add(reaped);
            }
        }
        while (reaped == options.BatchSize);

        int timedOut;
        do
        {
            timedOut = await store.FailTimedOutRunsAsync(options.BatchSize, cancellationToken);
            if (timedOut > 0)
            {
                busy = true;
                LogTimedOut(logger, timedOut);
            }
        }
        while (timedOut == options.BatchSize);
        return busy;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Maintenance pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reaped {Count} expired leases")]
    private static partial void LogReaped(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Failed {Count} runs past their deadline")]
    private static partial void LogTimedOut(ILogger logger, int count);
}
