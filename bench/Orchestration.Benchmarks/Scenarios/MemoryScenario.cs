using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;
using Orchestration.Benchmarks.Workers;
using Orchestration.Engine;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>
/// Scenario 7: peak working set of a host process whose store holds many pending tasks, against the same host with
/// few. The host runs its worker (handlers hold their tasks, so the rest stay pending) and its maintenance loop; if
/// anything loaded pending tasks into memory, the peak would grow with their number.
/// </summary>
internal sealed class MemoryScenario : IScenario
{
    public const string ScenarioName = "memory";

    public string Name => ScenarioName;

    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        foreach (var store in context.Settings.Stores.Where(s => s != StoreKinds.InMemory))
        {
            await ScenarioSteps.TryAsync(context, Name, Systems.Ours, store, async () =>
            {
                StoreRegistrations.EnsureAvailable(store);
                var large = context.Settings.MemoryPending;
                var small = Math.Max(1, Math.Min(1_000, large / 100));
                var smallPeak = await MeasureAsync(context, store, small, cancellationToken);
                var largePeak = await MeasureAsync(context, store, large, cancellationToken);
                context.Add(new Figure(Name, Systems.Ours, store, Metrics.PeakWorkingSet, smallPeak / 1048576.0, Units.Megabytes, small, "VmHWM of the host process"));
                context.Add(new Figure(Name, Systems.Ours, store, Metrics.PeakWorkingSet, largePeak / 1048576.0, Units.Megabytes, large, "VmHWM of the host process"));
                context.Add(new Figure(Name, Systems.Ours, store, Metrics.Growth, (double)largePeak / smallPeak, Units.Ratio, large, $"peak with {large:N0} pending ÷ peak with {small:N0} pending"));
            });
        }
    }

    private static async Task<long> MeasureAsync(BenchContext context, string store, int pending, CancellationToken cancellationToken)
    {
        await using var fresh = await FreshStore.CreateAsync(store, $"memory{pending}", context, cancellationToken);
        await using (var writer = EngineHost.BuildClientOnly(fresh.Configure))
        {
            await writer.StartAsync(cancellationToken);
            // One chunk of specs, submitted repeatedly: the parent's own memory stays small whatever the count.
            var chunk = Workloads.SingleTask(Math.Min(pending, Workloads.EnqueueChunk), Workloads.HoldType);
            for (var left = pending; left > 0; left -= chunk.Length)
                await writer.Client.CreateRunsAsync(left >= chunk.Length ? chunk : chunk[..left], cancellationToken);
            await writer.StopAsync();
        }

        var workers = context.Settings.Workers;
        await using var child = ChildHost.Start(context, "hold", store, fresh.ConnectionString!, workers, Math.Min(pending, workers));
        await child.WaitForAsync("READY", TimeSpan.FromSeconds(60), cancellationToken);
        child.Send("GO");
        var line = await child.WaitForAsync("MEM ", TimeSpan.FromSeconds(90), cancellationToken);
        var parts = line.Split(' ');
        var claimed = long.Parse(parts[4], System.Globalization.CultureInfo.InvariantCulture);
        if (claimed < Math.Min(pending, workers))
            throw new InvalidOperationException($"the host claimed {claimed} of the {Math.Min(pending, workers)} tasks it should hold");
        return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
