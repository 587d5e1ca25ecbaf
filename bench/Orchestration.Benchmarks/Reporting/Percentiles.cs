namespace Orchestration.Benchmarks.Reporting;

public static class Percentiles
{
    /// <summary>Nearest-rank percentile of <paramref name="sorted"/> (ascending); q in (0, 1].</summary>
    public static double Of(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) throw new ArgumentException("no samples", nameof(sorted));
        var rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Adds p50, p95, p99 and max figures for latencies in milliseconds.</summary>
    public static void Record(BenchContext context, string scenario, string system, string store, List<double> latenciesMs, string note, bool crossProcess = false)
    {
        latenciesMs.Sort();
        var n = latenciesMs.Count;
        if (crossProcess)
        {
            context.Add(new Figure(scenario, system, store, Metrics.P50CrossProcess, Of(latenciesMs, 0.50), Units.Milliseconds, n, note));
            context.Add(new Figure(scenario, system, store, Metrics.P99CrossProcess, Of(latenciesMs, 0.99), Units.Milliseconds, n, note));
            return;
        }

        context.Add(new Figure(scenario, system, store, Metrics.P50, Of(latenciesMs, 0.50), Units.Milliseconds, n, note));
        context.Add(new Figure(scenario, system, store, Metrics.P95, Of(latenciesMs, 0.95), Units.Milliseconds, n, note));
        context.Add(new Figure(scenario, system, store, Metrics.P99, Of(latenciesMs, 0.99), Units.Milliseconds, n, note));
        context.Add(new Figure(scenario, system, store, Metrics.Max, latenciesMs[^1], Units.Milliseconds, n, note));
    }
}
