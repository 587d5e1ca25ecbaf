using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>Scenario 2: runs of a fan-out/fan-in graph (root → 18 parallel → join); every completion promotes dependents.</summary>
internal sealed class DagScenario : IScenario
{
    public const string ScenarioName = "dag";

    public string Name => ScenarioName;

    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        foreach (var store in context.Settings.Stores)
        {
            await ScenarioSteps.TryAsync(context, Name, Systems.Ours, store, async () =>
            {
                StoreRegistrations.EnsureAvailable(store);
                var runs = context.Settings.DagRuns;
                var width = context.Settings.DagWidth;
                var warmup = context.Settings.SkipWarmup ? 0 : Math.Clamp(runs / 10, 1, 100);
                if (warmup > 0) await OurDrain.MeasureAsync(context, store, "warmup", Workloads.FanOutFanIn(warmup, width), measureIdle: false, cancellationToken);

                var r = await OurDrain.MeasureAsync(context, store, "dag", Workloads.FanOutFanIn(runs, width), measureIdle: false, cancellationToken);
                context.Add(new Figure(Name, Systems.Ours, store, Metrics.Enqueue, r.EnqueueRate, Units.TasksPerSecond, r.Tasks, $"{runs} runs of {width} tasks"));
                context.Add(new Figure(Name, Systems.Ours, store, Metrics.Drain, r.DrainRate, Units.TasksPerSecond, r.Tasks, r.BatchNote));
                context.Add(new Figure(Name, Systems.Ours, store, Metrics.Runs, runs / r.Drain.TotalSeconds, Units.RunsPerSecond, runs, "runs finished per second of drain"));
                if (r.CommitsPerTask is { } cpt)
                    context.Add(new Figure(Name, Systems.Ours, store, Metrics.CommitsPerTask, cpt, Units.CommitsPerTask, r.Tasks, $"pg_stat_database.xact_commit during the drain: {r.Commits}"));
            });
        }
    }
}
