using System.Diagnostics;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;
using Orchestration.Engine;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>
/// A noisy neighbour: N single-task runs of one org are enqueued first, then the in-process worker starts draining and
/// another org enqueues a few (100 at the default N). Reports the quiet org's start delay (task created → claimed, from
/// the store's own times) and the drain rate, with fairness between orgs off and on.
/// </summary>
internal sealed class NoisyScenario : IScenario
{
    public const string ScenarioName = "noisy";
    private const string NoisyOrg = "org-noisy";
    private const string QuietOrg = "org-quiet";

    public string Name => ScenarioName;

    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        foreach (var store in context.Settings.Stores)
            await ScenarioSteps.TryAsync(context, Name, Systems.Ours, store, () => MeasureAsync(context, store, cancellationToken));
    }

    private static async Task MeasureAsync(BenchContext context, string store, CancellationToken cancellationToken)
    {
        StoreRegistrations.EnsureAvailable(store);
        var n = context.Settings.ThroughputTasks;
        var quiet = Math.Clamp(n / 1_000, 10, 100);
        foreach (var fair in new[] { false, true })
        {
            var r = await DrainAsync(context, store, n, quiet, fair, cancellationToken);
            var mode = fair ? "fairness on" : "fairness off";
            var note = $"{quiet} tasks of a second org enqueued as the worker starts on {n:N0} of the first";
            context.Add(new Figure(ScenarioName, Systems.Ours, store, $"quiet org p50 start delay, {mode}", r.P50, Units.Milliseconds, quiet, note));
            context.Add(new Figure(ScenarioName, Systems.Ours, store, $"quiet org p99 start delay, {mode}", r.P99, Units.Milliseconds, quiet, note));
            context.Add(new Figure(ScenarioName, Systems.Ours, store, $"quiet org max start delay, {mode}", r.Max, Units.Milliseconds, quiet, note));
            context.Add(new Figure(ScenarioName, Systems.Ours, store, $"drain, {mode}", r.DrainRate, Units.TasksPerSecond, n + quiet,
                $"both orgs' tasks ÷ drain time; CPU {r.CpuMicros:F1} µs/task"));
        }
    }

    private sealed record Result(double P50, double P99, double Max, double DrainRate, double CpuMicros);

    private static async Task<Result> DrainAsync(BenchContext context, string kind, int n, int quiet, bool fair, CancellationToken cancellationToken)
    {
        await using var store = await FreshStore.CreateAsync(kind, fair ? "noisy-fair" : "noisy-unfair", context, cancellationToken);
        await using (var writer = EngineHost.BuildClientOnly(store.Configure))
        {
            await writer.StartAsync(cancellationToken);
            await Workloads.EnqueueAsync(writer.Client, [.. Workloads.SingleTask(n).Select(s => s with { OrgId = NoisyOrg })], cancellationToken);
            await writer.StopAsync();
        }

        await using var host = EngineHost.Build(store.Configure, b => b.AddTaskHandler(Workloads.NoopType, (_, _) => EngineHost.NoOutput),
            o => o.Engine.Fairness.Enabled = fair);
        var done = host.Store.WhenCompleted(n + quiet);
        var cpu0 = CpuTime.Now;
        var start = Stopwatch.GetTimestamp();
        await host.StartAsync(cancellationToken);
        var runs = await host.Client.CreateRunsAsync([.. Workloads.SingleTask(quiet).Select(s => s with { OrgId = QuietOrg })], cancellationToken);
        var end = await OurDrain.WaitAsync(done, host.Store, n + quiet, OurDrain.DrainTimeout(n), cancellationToken);
        var cpu = CpuTime.Now - cpu0;
        var drain = Stopwatch.GetElapsedTime(start, end);

        var delays = new List<double>(quiet);
        foreach (var run in runs)
        {
            foreach (var task in await host.Client.Queries.GetRunTasksAsync(QuietOrg, run.Run.Id, cancellationToken))
                delays.Add(((task.StartedAt ?? task.CreatedAt) - task.CreatedAt).TotalMilliseconds);
        }

        await host.StopAsync();
        delays.Sort();
        return new Result(delays[delays.Count / 2], delays[Math.Min(delays.Count - 1, delays.Count * 99 / 100)], delays[^1],
            (n + quiet) / drain.TotalSeconds, cpu.TotalMicroseconds / (n + quiet));
    }
}
