using System.Diagnostics;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>
/// Claim cost with a large backlog held back by a per-key limit: N tasks of one concurrency key whose limit (1) is taken,
/// or whose rate window (1 start per hour) is used up, against the same claims with no held-back work. Each measurement
/// claims one unkeyed task per call, as an executor topping up its buffer does; the held-back tasks must cost those
/// claims nothing.
/// </summary>
internal sealed class HeldBackScenario : IScenario
{
    public const string ScenarioName = "heldback";
    private const int Claims = 300;
    private const string Key = "hot";

    public string Name => ScenarioName;

    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        foreach (var store in context.Settings.Stores)
        {
            if (store == StoreKinds.InMemory) continue; // the reference store walks its ready set; the figure is about the SQL claim paths
            await ScenarioSteps.TryAsync(context, Name, Systems.Ours, store, () => MeasureAsync(context, store, cancellationToken));
        }
    }

    private static async Task MeasureAsync(BenchContext context, string store, CancellationToken cancellationToken)
    {
        StoreRegistrations.EnsureAvailable(store);
        var held = context.Settings.ThroughputTasks;
        var empty = await ClaimCostAsync(context, store, 0, cancellationToken);
        var backlog = await ClaimCostAsync(context, store, held, cancellationToken);
        var rated = await ClaimCostAsync(context, store, held, cancellationToken, byRate: true);
        context.Add(new Figure(ScenarioName, Systems.Ours, store, "claim p50, nothing held back", empty.P50, Units.Milliseconds, Claims, $"p99 {empty.P99:F3} ms; one unkeyed task per claim"));
        context.Add(new Figure(ScenarioName, Systems.Ours, store, $"claim p50, {held:N0} held back", backlog.P50, Units.Milliseconds, Claims,
            $"p99 {backlog.P99:F3} ms; {held:N0} tasks of one key at its limit (1) wait ahead of the claimed tasks in priority"));
        context.Add(new Figure(ScenarioName, Systems.Ours, store, $"claim p50, {held:N0} held back by a rate", rated.P50, Units.Milliseconds, Claims,
            $"p99 {rated.P99:F3} ms; {held:N0} tasks of one key whose window (1 start per hour) is used up wait ahead of the claimed tasks in priority"));
    }

    private static async Task<(double P50, double P99)> ClaimCostAsync(BenchContext context, string store, int held, CancellationToken cancellationToken, bool byRate = false)
    {
        await using var fresh = await FreshStore.CreateAsync(store, byRate ? $"heldbackrate{held}" : $"heldback{held}", context, cancellationToken);
        await using var host = EngineHost.BuildClientOnly(o =>
        {
            fresh.Configure(o);
            // By rate: no limit on running tasks, so only the used-up window holds the key back.
            o.Engine.KeyLimits.Add(byRate ? new KeyLimit { Key = Key, MaxStarts = 1, Window = TimeSpan.FromHours(1) } : new KeyLimit { Key = Key, MaxRunning = 1 });
        });
        await host.StartAsync(cancellationToken);
        var client = host.Client;
        for (var done = 0; done < held; done += 5_000)
        {
            var batch = Enumerable.Range(0, Math.Min(5_000, held - done))
                .Select(_ => new RunSpec { OrgId = "bench", Tasks = [new TaskSpec { Type = "work", Priority = 10, ConcurrencyKey = Key }] }).ToList();
            await client.CreateRunsAsync(batch, cancellationToken);
        }

        var storeApi = host.Store;
        ClaimTasksParams Claim(int max) => new() { ExecutorId = "bench", Types = ["work"], Max = max, LeaseDuration = TimeSpan.FromMinutes(5) };
        if (held > 0 && (await storeApi.ClaimTasksAsync(Claim(1), cancellationToken)).Count != 1) throw new InvalidOperationException("the key's one slot (or its window's one start) was not taken");
        await client.CreateRunsAsync(Enumerable.Range(0, Claims).Select(_ => new RunSpec { OrgId = "bench", Tasks = [new TaskSpec { Type = "work" }] }).ToList(), cancellationToken);

        var times = new double[Claims];
        for (var i = 0; i < Claims; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var claimed = await storeApi.ClaimTasksAsync(Claim(1), cancellationToken);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (claimed.Count != 1 || claimed[0].Priority != 0) throw new InvalidOperationException($"claim {i} took {claimed.Count} tasks, not the one unkeyed task");
        }

        await host.StopAsync();
        Array.Sort(times);
        return (times[Claims / 2], times[Claims * 99 / 100]);
    }
}
