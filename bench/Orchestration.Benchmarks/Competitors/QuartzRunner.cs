using System.Collections.Specialized;
using System.Diagnostics;
using System.Globalization;
using Quartz;

namespace Orchestration.Benchmarks.Competitors;

/// <summary>A Quartz.NET job that only counts; Quartz creates one instance per execution.</summary>
public sealed class QuartzNoopJob : IJob
{
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        CompetitorProbe.Done();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The latency job: stamps its start.</summary>
public sealed class QuartzProbeJob : IJob
{
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        CompetitorProbe.Latency.Hit();
        CompetitorProbe.Done();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Quartz.NET with its default in-memory job store (RAMJobStore) and defaults throughout, except the thread pool's
/// concurrency, set to the worker count every system in the run shares. Each job is a durable-less job with a
/// fire-now trigger, Quartz's form of a one-off background task.
/// </summary>
internal static class QuartzRunner
{
    private static async Task<IScheduler> CreateAsync(int workers, CancellationToken cancellationToken)
    {
        var properties = new NameValueCollection
        {
            ["quartz.scheduler.instanceName"] = "bench-" + Guid.NewGuid().ToString("N"),
            ["quartz.threadPool.maxConcurrency"] = workers.ToString(CultureInfo.InvariantCulture),
        };
        return await QuartzSchedulerBuilder.Create(_ => { }).UseProperties(properties).BuildScheduler(cancellationToken);
    }

    public static async Task<CompetitorDrain> DrainAsync(int count, int workers, TimeSpan budget, CancellationToken cancellationToken)
    {
        var scheduler = await CreateAsync(workers, cancellationToken);
        try
        {
            var jobs = new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>>(count);
            for (var i = 0; i < count; i++)
            {
                var id = i.ToString(CultureInfo.InvariantCulture);
                jobs.Add(JobBuilder.Create<QuartzNoopJob>().WithIdentity("j" + id).Build(), [TriggerBuilder.Create().WithIdentity("t" + id).StartNow().Build()]);
            }

            var done = CompetitorProbe.Reset(count);
            // ScheduleJobs is Quartz's bulk API; the scheduler is in standby, so nothing runs while it stores.
            var cpu0 = Reporting.CpuTime.Now;
            var clock = Stopwatch.StartNew();
            await scheduler.ScheduleJobs(jobs, new ScheduleJobOptions(), cancellationToken);
            var enqueue = clock.Elapsed;
        var enqueueCpu = Reporting.CpuTime.Now - cpu0;
        var drainCpu0 = Reporting.CpuTime.Now;

            var start = Stopwatch.GetTimestamp();
            await scheduler.Start(cancellationToken);
            var within = true;
            try
            {
                await done.WaitAsync(budget, cancellationToken);
            }
            catch (TimeoutException)
            {
                within = false;
            }

            var drain = Stopwatch.GetElapsedTime(start);
        var drainCpu = Reporting.CpuTime.Now - drainCpu0;
            return new CompetitorDrain(count, enqueue, within ? count : CompetitorProbe.Count, drain, within, enqueueCpu, drainCpu);
        }
        finally
        {
            await scheduler.Shutdown(waitForJobsToComplete: false, CancellationToken.None);
        }
    }

    public static async Task<List<double>> LatencyAsync(int warmup, int samples, int workers, TimeSpan budget, CancellationToken cancellationToken)
    {
        var scheduler = await CreateAsync(workers, cancellationToken);
        try
        {
            await scheduler.Start(cancellationToken);
            var latencies = new List<double>(samples);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < warmup + samples && clock.Elapsed < budget; i++)
            {
                var id = i.ToString(CultureInfo.InvariantCulture);
                var job = JobBuilder.Create<QuartzProbeJob>().WithIdentity("p" + id).Build();
                var trigger = TriggerBuilder.Create().WithIdentity("pt" + id).StartNow().Build();
                var done = CompetitorProbe.Reset(1);
                var hit = CompetitorProbe.Latency.Arm();
                var start = Stopwatch.GetTimestamp();
                await scheduler.ScheduleJob(job, trigger, new ScheduleJobOptions(), cancellationToken);
                var at = await hit.WaitAsync(Scenarios.LatencyProbe.SampleTimeout, cancellationToken);
                // The job has returned; RAMJobStore's bookkeeping after it is in-process and immediate.
                await done.WaitAsync(Scenarios.LatencyProbe.SampleTimeout, cancellationToken);
                if (i >= warmup) latencies.Add(Scenarios.LatencyProbe.Milliseconds(start, at));
            }

            return latencies;
        }
        finally
        {
            await scheduler.Shutdown(waitForJobsToComplete: false, CancellationToken.None);
        }
    }
}
