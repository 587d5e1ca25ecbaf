using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>Scenario 1: bulk-enqueue N single-task runs, then drain them with the in-process worker at its defaults.</summary>
internal sealed class ThroughputScenario : IScenario
{
    public const string ScenarioName = "throughput";

    public string Name => ScenarioName;

    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        foreach (var store in context.Settings.Stores)
            await ScenarioSteps.TryAsync(context, Name, Systems.Ours, store, () => MeasureAsync(context, store, cancellationToken));
    }

    /// <summary>Measures one store and records its figures; other scenarios call it when they need our figure for a ratio.</summary>
    public static async Task MeasureAsync(BenchContext context, string store, CancellationToken cancellationToken)
    {
        StoreRegistrations.EnsureAvailable(store);
        var n = context.Settings.ThroughputTasks;
        var warmup = ScenarioSteps.WarmupSize(context, n);
        if (warmup > 0) await OurDrain.MeasureAsync(context, store, "warmup", Workloads.SingleTask(warmup), measureIdle: false, cancellationToken);

        var r = await OurDrain.MeasureAsync(context, store, "throughput", Workloads.SingleTask(n), measureIdle: store == StoreKinds.Postgres, cancellationToken);
        context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.Enqueue, r.EnqueueRate, Units.TasksPerSecond, n, $"bulk CreateRunsAsync, {Workloads.EnqueueChunk:N0} runs per call"));
        context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.Drain, r.DrainRate, Units.TasksPerSecond, n, r.BatchNote));
        context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.EnqueueCpu, r.EnqueueCpuMicros, Units.MicrosecondsPerTask, n, "CPU time of this process ÷ N; " + r.EnqueueGc));
        context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.DrainCpu, r.DrainCpuMicros, Units.MicrosecondsPerTask, n, "CPU time of this process ÷ N" + (store == StoreKinds.InMemory ? "" : " (database server CPU not included)") + "; " + r.DrainGc));
        context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.EndToEnd, r.EndToEndRate, Units.TasksPerSecond, n, "N / (enqueue + drain)"));
        if (r.CommitsPerTask is { } cpt)
            context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.CommitsPerTask, cpt, Units.CommitsPerTask, n, $"pg_stat_database.xact_commit during the drain: {r.Commits}"));
        if (r.IdleCommitsPerSecond is { } idle)
            context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.IdleCommits, idle, Units.CommitsPerSecond, (int)context.Settings.IdleWindow.TotalSeconds,
                $"transactions per second of an idle host ({context.Settings.IdleWindow.TotalSeconds:0} s window, from {context.Settings.StatsSettle.TotalSeconds:0} s after the drain)"));
    }
}
