using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;

namespace Orchestration.Benchmarks.Scenarios;

internal interface IScenario
{
    string Name { get; }

    Task RunAsync(BenchContext context, CancellationToken cancellationToken);
}

internal static class ScenarioSteps
{
    /// <summary>
    /// Runs one measurement; an unavailable store, a timeout or a failure becomes a gap in the report with its reason,
    /// and the other measurements go on.
    /// </summary>
    public static async Task<bool> TryAsync(BenchContext context, string scenario, string system, string store, Func<Task> measure)
    {
        context.Info($"{scenario}: {system} on {store}");
        try
        {
            await measure();
            return true;
        }
        catch (StoreUnavailableException ex)
        {
            context.AddGap(new Gap(scenario, system, store, ex.Message));
        }
        catch (TimeoutException ex)
        {
            context.AddGap(new Gap(scenario, system, store, "timed out: " + ex.Message));
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            context.AddGap(new Gap(scenario, system, store, $"failed: {ex.GetType().Name}: {ex.Message}"));
            context.Info(ex.ToString());
        }

        return false;
    }

    public static int WarmupSize(BenchContext context, int n) => context.Settings.SkipWarmup ? 0 : Math.Clamp(n / 10, 1, 5_000);
}
