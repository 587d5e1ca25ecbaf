using System.Diagnostics;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;
using Orchestration.Benchmarks.Workers;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>
/// Scenario 6: 1, 2 and 3 host processes share one Postgres and drain the same N tasks. The clock starts when every
/// host has been built and is told "GO", and stops when the hosts' applied completions add up to N.
/// </summary>
internal sealed class ScaleScenario : IScenario
{
    public const string ScenarioName = "scale";

    public string Name => ScenarioName;

    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        const string store = StoreKinds.Postgres;
        // Only Postgres is shared across machines; a run without it has nothing to scale out.
        if (!context.Settings.Stores.Contains(store)) return;
        foreach (var hosts in context.Settings.ScaleHosts)
        {
            var ok = await ScenarioSteps.TryAsync(context, Name, Systems.Ours, store, () => MeasureAsync(context, store, hosts, cancellationToken));
            if (!ok) break;
        }
    }

    private static async Task MeasureAsync(BenchContext context, string store, int hosts, CancellationToken cancellationToken)
    {
        StoreRegistrations.EnsureAvailable(store);
        var n = context.Settings.ScaleTasks;
        await using var fresh = await FreshStore.CreateAsync(store, $"scale{hosts}", context, cancellationToken);
        await using (var writer = EngineHost.BuildClientOnly(fresh.Configure))
        {
            await writer.StartAsync(cancellationToken);
            await Workloads.EnqueueAsync(writer.Client, Workloads.SingleTask(n), cancellationToken);
            await writer.StopAsync();
        }

        var children = new List<ChildHost>();
        try
        {
            var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            for (var i = 0; i < hosts; i++) children.Add(ChildHost.Start(context, "drain", store, fresh.ConnectionString!, context.Settings.Workers));
            foreach (var child in children)
            {
                child.OnProgress = () =>
                {
                    if (children.Sum(c => c.Completed) >= n) done.TrySetResult(Stopwatch.GetTimestamp());
                };
            }

            foreach (var child in children) await child.WaitForAsync("READY", TimeSpan.FromSeconds(60), cancellationToken);
            var before = fresh.Database is { } db ? await db.CommitsAsync(cancellationToken) : 0;
            var start = Stopwatch.GetTimestamp();
            foreach (var child in children) child.Send("GO");
            var timeout = OurDrain.DrainTimeout(n);
            long end;
            try
            {
                end = await done.Task.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{children.Sum(c => c.Completed)} of {n} tasks completed within {timeout.TotalSeconds:F0} s by {hosts} hosts");
            }

            var elapsed = Stopwatch.GetElapsedTime(start, end);
            var split = string.Join("/", children.Select(c => c.Completed));
            context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.Hosts(hosts), n / elapsed.TotalSeconds, Units.TasksPerSecond, n,
                $"{hosts} host process(es) × {context.Settings.Workers} workers; tasks per host {split}; includes each host's start-up"));
            if (fresh.Database is { } database)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1500), cancellationToken);
                var commits = await database.CommitsAsync(cancellationToken) - before;
                context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.CommitsPerTask + $" ({Metrics.Hosts(hosts)})", (double)commits / n, Units.CommitsPerTask, n, $"xact_commit {commits}"));
            }
        }
        finally
        {
            foreach (var child in children) await child.DisposeAsync();
        }
    }
}
