using System.Diagnostics;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;
using Orchestration.Engine;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>
/// Enqueue-then-drain through our engine: one host bulk-enqueues with its worker off, then a second host with the
/// in-process worker at its default settings drains until the last completion is durably applied.
/// </summary>
internal static class OurDrain
{
    public sealed record Result(
        int Tasks,
        int Runs,
        TimeSpan Enqueue,
        TimeSpan Drain,
        TimeSpan EnqueueCpu,
        TimeSpan DrainCpu,
        long ClaimCalls,
        long Claimed,
        long CompleteCalls,
        long Completed,
        double? CommitsPerTask,
        long? Commits,
        double? IdleCommitsPerSecond)
    {
        public double EnqueueRate => Tasks / Enqueue.TotalSeconds;
        public double DrainRate => Tasks / Drain.TotalSeconds;
        public double EndToEndRate => Tasks / (Enqueue + Drain).TotalSeconds;
        public double AverageClaim => ClaimCalls == 0 ? 0 : (double)Claimed / ClaimCalls;
        public double AverageComplete => CompleteCalls == 0 ? 0 : (double)Completed / CompleteCalls;
        public string EnqueueGc { get; init; } = "";
        public string DrainGc { get; init; } = "";
        public double EnqueueCpuMicros => EnqueueCpu.TotalMicroseconds / Tasks;
        public double DrainCpuMicros => DrainCpu.TotalMicroseconds / Tasks;
        public string BatchNote => $"claim calls {ClaimCalls} (avg {AverageClaim:F1}), complete calls {CompleteCalls} (avg {AverageComplete:F1})";
    }

    // A backend that exits publishes its pg_stat counters at once; waiting this long after the enqueue host stopped
    // makes the reading complete.
    private static readonly TimeSpan StatsFlush = TimeSpan.FromMilliseconds(1500);

    // After the drain the host keeps its pooled connections, and a backend that stays connected but goes idle publishes
    // its last counters only within PGSTAT_IDLE_INTERVAL (10 s in PostgreSQL 15): hence BenchSettings.StatsSettle.
    // Read sooner, the drain's last commits were missing from commits/task and landed in the idle window instead
    // (7–21 "idle" commits/s that were the drain's own).

    public static async Task<Result> MeasureAsync(BenchContext context, string kind, string label, RunSpec[] specs, bool measureIdle, CancellationToken cancellationToken)
    {
        var tasks = Workloads.TaskCount(specs);
        await using var store = await FreshStore.CreateAsync(kind, label, context, cancellationToken);

        TimeSpan enqueue, enqueueCpu;
        string enqueueGc;
        await using (var writer = EngineHost.BuildClientOnly(store.Configure))
        {
            await writer.StartAsync(cancellationToken);
            var cpu0 = CpuTime.Now;
            var gc0 = GcSnapshot.Now;
            enqueue = await Workloads.EnqueueAsync(writer.Client, specs, cancellationToken);
            enqueueCpu = CpuTime.Now - cpu0;
            enqueueGc = GcSnapshot.Now.Since(gc0, tasks);
            await writer.StopAsync();
        }

        long? before = null;
        if (store.Database is { } db)
        {
            await Task.Delay(StatsFlush, cancellationToken);
            before = await db.CommitsAsync(cancellationToken);
        }

        await using var host = EngineHost.Build(store.Configure, b => b.AddTaskHandler(Workloads.NoopType, (_, _) => EngineHost.NoOutput));
        var done = host.Store.WhenCompleted(tasks);
        var drainCpu0 = CpuTime.Now;
        var drainGc0 = GcSnapshot.Now;
        var start = Stopwatch.GetTimestamp();
        await host.StartAsync(cancellationToken);
        var end = await WaitAsync(done, host.Store, tasks, DrainTimeout(tasks), cancellationToken);
        var drainCpu = CpuTime.Now - drainCpu0;
        var drainGc = GcSnapshot.Now.Since(drainGc0, tasks);
        var drain = Stopwatch.GetElapsedTime(start, end);

        long? commits = null;
        double? idle = null;
        if (store.Database is { } database)
        {
            await Task.Delay(context.Settings.StatsSettle, cancellationToken);
            var after = await database.CommitsAsync(cancellationToken);
            commits = after - before!.Value;
            if (measureIdle)
            {
                await Task.Delay(context.Settings.IdleWindow, cancellationToken);
                idle = (await database.CommitsAsync(cancellationToken) - after) / context.Settings.IdleWindow.TotalSeconds;
            }
        }

        var s = host.Store;
        var result = new Result(tasks, specs.Length, enqueue, drain, enqueueCpu, drainCpu, s.ClaimCalls, s.Claimed, s.CompleteCalls, s.Completed,
            commits is null ? null : (double)commits / tasks, commits, idle) { EnqueueGc = enqueueGc, DrainGc = drainGc };
        await host.StopAsync();
        return result;
    }

    public static TimeSpan DrainTimeout(int tasks) => TimeSpan.FromSeconds(Math.Max(60, tasks / 500.0));

    /// <summary>Waits for the completion target; on timeout says how far it got instead of inventing a rate.</summary>
    public static async Task<long> WaitAsync(Task<long> done, InstrumentedStore store, long target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await done.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"only {store.Completed} of {target} tasks completed within {timeout.TotalSeconds:F0} s ({store.Failed} failed attempts)");
        }
    }
}
