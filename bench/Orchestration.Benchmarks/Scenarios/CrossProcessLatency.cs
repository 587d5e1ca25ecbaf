using System.Diagnostics;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;
using Orchestration.Benchmarks.Workers;
using Orchestration.Engine;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>
/// Latency across nodes, as near as one machine gets: this process enqueues, a second host process runs the handler
/// and is woken through the database (LISTEN/NOTIFY on Postgres). Both read the same monotonic clock.
/// </summary>
internal static class CrossProcessLatency
{
    public static async Task MeasureAsync(BenchContext context, string store, CancellationToken cancellationToken)
    {
        StoreRegistrations.EnsureAvailable(store);
        await using var fresh = await FreshStore.CreateAsync(store, "latency_x", context, cancellationToken);
        await using var client = EngineHost.BuildClientOnly(fresh.Configure);
        await client.StartAsync(cancellationToken);

        await using var child = ChildHost.Start(context, "latency", store, fresh.ConnectionString!, context.Settings.Workers);
        await child.WaitForAsync("READY", TimeSpan.FromSeconds(60), cancellationToken);
        var started = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        child.OnStarted = ts => Volatile.Read(ref started).TrySetResult(ts);
        var completed = 0L;
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        child.OnProgress = () =>
        {
            if (child.Completed >= Volatile.Read(ref completed)) Volatile.Read(ref idle).TrySetResult();
        };
        child.Send("GO");
        await child.WaitForAsync("STARTED", TimeSpan.FromSeconds(60), cancellationToken);

        var spec = new RunSpec { Tasks = [new TaskSpec { Type = "probe" }] };
        var warmup = LatencyScenario.WarmupSamples(context);
        var samples = context.Settings.LatencySamples;
        var latencies = new List<double>(samples);
        for (var i = 0; i < warmup + samples; i++)
        {
            var hit = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var back = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref started, hit);
            Volatile.Write(ref idle, back);
            Volatile.Write(ref completed, i + 1);
            if (child.Completed >= i + 1) back.TrySetResult();

            var start = Stopwatch.GetTimestamp();
            await client.Client.CreateRunAsync(spec, cancellationToken);
            var at = await hit.Task.WaitAsync(LatencyProbe.SampleTimeout, cancellationToken);
            await back.Task.WaitAsync(LatencyProbe.SampleTimeout, cancellationToken);
            if (i >= warmup) latencies.Add(LatencyProbe.Milliseconds(start, at));
        }

        Percentiles.Record(context, LatencyScenario.ScenarioName, Systems.Ours, store, latencies,
            $"enqueue in one process → handler start in another host process, {warmup} warm-up samples discarded", crossProcess: true);
    }
}
