using Orchestration.Benchmarks.Competitors;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>
/// Scenario 4: the throughput and latency scenarios through Hangfire (Hangfire.InMemory, Hangfire.PostgreSql) and
/// Quartz.NET (RAMJobStore), in this process, with the worker count ours uses. Our own figures for the same store
/// are measured first when this run has not measured them yet, so the ratios always compare one run.
/// </summary>
internal sealed class CompetitorScenario : IScenario
{
    public const string ScenarioName = "hangfire";

    public string Name => ScenarioName;

    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var stores = context.Settings.Stores;
        if (stores.Contains(StoreKinds.InMemory)) await InMemoryAsync(context, cancellationToken);
        if (stores.Contains(StoreKinds.Postgres)) await PostgresAsync(context, cancellationToken);
    }

    private async Task InMemoryAsync(BenchContext context, CancellationToken cancellationToken)
    {
        const string store = StoreKinds.InMemory;
        await EnsureOursAsync(context, store, cancellationToken);
        var s = context.Settings;
        var n = s.ThroughputTasks;
        var warmup = ScenarioSteps.WarmupSize(context, n);

        await ScenarioSteps.TryAsync(context, Name, Systems.Hangfire, store, async () =>
        {
            if (warmup > 0) await HangfireRunner.DrainAsync(HangfireRunner.CreateStorage(store, null), warmup, s.Workers, s.CompetitorBudget, cancellationToken);
            var r = await HangfireRunner.DrainAsync(HangfireRunner.CreateStorage(store, null), n, s.Workers, s.CompetitorBudget, cancellationToken);
            RecordDrain(context, Systems.Hangfire, store, r, "BackgroundJobClient.Create per job (no bulk API)", "Hangfire.InMemory, WorkerCount " + s.Workers);
            var lat = await HangfireRunner.LatencyAsync(HangfireRunner.CreateStorage(store, null), LatencyScenario.WarmupSamples(context), s.LatencySamples, s.Workers, s.CompetitorBudget, cancellationToken);
            RecordLatency(context, Systems.Hangfire, store, lat);
        });

        await ScenarioSteps.TryAsync(context, Name, Systems.Quartz, store, async () =>
        {
            if (warmup > 0) await QuartzRunner.DrainAsync(warmup, s.Workers, s.CompetitorBudget, cancellationToken);
            var r = await QuartzRunner.DrainAsync(n, s.Workers, s.CompetitorBudget, cancellationToken);
            RecordDrain(context, Systems.Quartz, store, r, "IScheduler.ScheduleJobs (bulk) in standby", "RAMJobStore, maxConcurrency " + s.Workers);
            var lat = await QuartzRunner.LatencyAsync(LatencyScenario.WarmupSamples(context), s.LatencySamples, s.Workers, s.CompetitorBudget, cancellationToken);
            RecordLatency(context, Systems.Quartz, store, lat);
        });
    }

    private async Task PostgresAsync(BenchContext context, CancellationToken cancellationToken)
    {
        const string store = StoreKinds.Postgres;
        await EnsureOursAsync(context, store, cancellationToken);
        var s = context.Settings;
        await ScenarioSteps.TryAsync(context, Name, Systems.Hangfire, store, async () =>
        {
            var server = await context.GetPostgresAsync(cancellationToken);
            await using (var db = await server.CreateDatabaseAsync("hangfire", cancellationToken))
            {
                var r = await HangfireRunner.DrainAsync(HangfireRunner.CreateStorage(store, db.ConnectionString), s.HangfirePostgresTasks, s.Workers, s.CompetitorBudget, cancellationToken);
                RecordDrain(context, Systems.Hangfire, store, r, "BackgroundJobClient.Create per job (no bulk API)", "Hangfire.PostgreSql defaults, WorkerCount " + s.Workers);
            }

            await using (var db = await server.CreateDatabaseAsync("hangfire_latency", cancellationToken))
            {
                var lat = await HangfireRunner.LatencyAsync(HangfireRunner.CreateStorage(store, db.ConnectionString), 1, s.LatencySamples, s.Workers, s.CompetitorBudget, cancellationToken);
                RecordLatency(context, Systems.Hangfire, store, lat);
            }
        });
    }

    private static async Task EnsureOursAsync(BenchContext context, string store, CancellationToken cancellationToken)
    {
        var report = context.Report;
        if (report.Find(ThroughputScenario.ScenarioName, Systems.Ours, store, Metrics.Drain) is null
            && !report.Gaps.Any(g => g.Scenario == ThroughputScenario.ScenarioName && g.Store == store))
            await ScenarioSteps.TryAsync(context, ThroughputScenario.ScenarioName, Systems.Ours, store, () => ThroughputScenario.MeasureAsync(context, store, cancellationToken));
        if (report.Find(LatencyScenario.ScenarioName, Systems.Ours, store, Metrics.P50) is null
            && !report.Gaps.Any(g => g.Scenario == LatencyScenario.ScenarioName && g.Store == store))
            await ScenarioSteps.TryAsync(context, LatencyScenario.ScenarioName, Systems.Ours, store, () => LatencyScenario.MeasureAsync(context, store, cancellationToken));
    }

    private void RecordDrain(BenchContext context, string system, string store, CompetitorDrain r, string enqueueNote, string setup)
    {
        var budgetNote = r.WithinBudget ? setup : $"{setup}; time budget {context.Settings.CompetitorBudget.TotalSeconds:F0} s ran out: {r.Completed} of {r.Enqueued} completed";
        context.Add(new Figure(Name, system, store, Metrics.Enqueue, r.EnqueueRate, Units.TasksPerSecond, r.Enqueued, enqueueNote));
        context.Add(new Figure(Name, system, store, Metrics.Drain, r.DrainRate, Units.TasksPerSecond, r.Completed, budgetNote));
        if (store == StoreKinds.InMemory)
        {
            context.Add(new Figure(Name, system, store, Metrics.EnqueueCpu, r.EnqueueCpuMicros, Units.MicrosecondsPerTask, r.Enqueued, "CPU time of this process ÷ N"));
            context.Add(new Figure(Name, system, store, Metrics.DrainCpu, r.DrainCpuMicros, Units.MicrosecondsPerTask, r.Completed, "CPU time of this process ÷ N"));
        }

        if (r.WithinBudget)
            context.Add(new Figure(Name, system, store, Metrics.EndToEnd, r.EndToEndRate, Units.TasksPerSecond, r.Enqueued, "N / (enqueue + drain)"));
    }

    private void RecordLatency(BenchContext context, string system, string store, List<double> latencies)
    {
        if (latencies.Count == 0)
        {
            context.AddGap(new Gap(Name, system, store, $"no latency sample completed within the {context.Settings.CompetitorBudget.TotalSeconds:F0} s budget"));
            return;
        }

        var capped = latencies.Count < context.Settings.LatencySamples
            ? $"; only {latencies.Count} samples fit in the {context.Settings.CompetitorBudget.TotalSeconds:F0} s budget"
            : "";
        Percentiles.Record(context, Name, system, store, latencies, "enqueue → job start, one at a time" + capped);
    }
}
