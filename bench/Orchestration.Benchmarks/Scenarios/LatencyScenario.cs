using System.Diagnostics;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;
using Orchestration.Engine;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>
/// Scenario 3: at idle, enqueue one single-task run at a time and time enqueue → handler start. Each sample waits
/// until the previous task's completion is written, so every sample starts from an idle host.
/// </summary>
internal sealed class LatencyScenario : IScenario
{
    public const string ScenarioName = "latency";
    private const string ProbeType = "probe";

    public string Name => ScenarioName;

    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        foreach (var store in context.Settings.Stores)
        {
            var ok = await ScenarioSteps.TryAsync(context, Name, Systems.Ours, store, () => MeasureAsync(context, store, cancellationToken));
            if (ok && store == StoreKinds.Postgres)
                await ScenarioSteps.TryAsync(context, Name, Systems.Ours, store, () => CrossProcessLatency.MeasureAsync(context, store, cancellationToken));
        }
    }

    public static int WarmupSamples(BenchContext context) => context.Settings.SkipWarmup ? 0 : Math.Min(100, context.Settings.LatencySamples);

    public static async Task MeasureAsync(BenchContext context, string store, CancellationToken cancellationToken)
    {
        StoreRegistrations.EnsureAvailable(store);
        await using var fresh = await FreshStore.CreateAsync(store, "latency", context, cancellationToken);
        var probe = new LatencyProbe();
        await using var host = EngineHost.Build(fresh.Configure, b => b.AddTaskHandler(ProbeType, (_, _) =>
        {
            probe.Hit();
            return EngineHost.NoOutput;
        }));
        await host.StartAsync(cancellationToken);

        var spec = new RunSpec { Tasks = [new TaskSpec { Type = ProbeType }] };
        var warmup = WarmupSamples(context);
        var samples = context.Settings.LatencySamples;
        var latencies = new List<double>(samples);
        for (var i = 0; i < warmup + samples; i++)
        {
            var hit = probe.Arm();
            var written = host.Store.WhenCompleted(i + 1);
            var start = Stopwatch.GetTimestamp();
            await host.Client.CreateRunAsync(spec, cancellationToken);
            var started = await hit.WaitAsync(LatencyProbe.SampleTimeout, cancellationToken);
            await written.WaitAsync(LatencyProbe.SampleTimeout, cancellationToken);
            if (i >= warmup) latencies.Add(LatencyProbe.Milliseconds(start, started));
        }

        await host.StopAsync();
        Percentiles.Record(context, ScenarioName, Systems.Ours, store, latencies,
            $"enqueue → handler start, one at a time, {warmup} warm-up samples discarded");
    }
}
