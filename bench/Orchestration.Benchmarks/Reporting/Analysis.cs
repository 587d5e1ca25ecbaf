using System.Globalization;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Scenarios;

namespace Orchestration.Benchmarks.Reporting;

/// <summary>Turns the figures of one run into ours/theirs ratios and target checks. Nothing here measures.</summary>
internal static class Analysis
{
    private const string Throughput = "throughput";
    private const string Latency = "latency";
    private const string Competitors = "hangfire";
    private const string Http = HttpExecutorScenario.ScenarioName;

    public static IReadOnlyList<Ratio> Ratios(BenchReport r)
    {
        var list = new List<Ratio>();
        void Pair(string pair, string store, string system)
        {
            foreach (var m in new[] { Metrics.Enqueue, Metrics.Drain, Metrics.EndToEnd })
                if (r.Find(Throughput, Systems.Ours, store, m) is { } ours && r.Find(Competitors, system, store, m) is { } theirs && theirs > 0)
                    list.Add(new Ratio(pair, m, ours, theirs, Units.TasksPerSecond, ours / theirs));
            foreach (var m in new[] { Metrics.P50, Metrics.P99 })
                if (r.Find(Latency, Systems.Ours, store, m) is { } ours && r.Find(Competitors, system, store, m) is { } theirs && ours > 0)
                    list.Add(new Ratio(pair, m, ours, theirs, Units.Milliseconds, theirs / ours));
        }

        Pair("InMemory ↔ Hangfire.InMemory", StoreKinds.InMemory, Systems.Hangfire);
        Pair("InMemory ↔ Quartz RAMJobStore", StoreKinds.InMemory, Systems.Quartz);
        Pair("Postgres ↔ Hangfire.PostgreSql", StoreKinds.Postgres, Systems.Hangfire);
        return list;
    }

    public static IReadOnlyList<TargetCheck> Targets(BenchReport r)
    {
        var list = new List<TargetCheck>();
        void AtLeast(string name, double? value, double threshold, string unit)
            => list.Add(new TargetCheck(name, value is null ? "not measured" : $"{Format(value.Value)} {unit}", value is null ? null : value >= threshold));
        void AtMost(string name, double? value, double threshold, string unit)
            => list.Add(new TargetCheck(name, value is null ? "not measured" : $"{Format(value.Value)} {unit}", value is null ? null : value <= threshold));
        double? Div(double? a, double? b) => a is null || b is null || b == 0 ? null : a / b;

        var memDrain = r.Find(Throughput, Systems.Ours, StoreKinds.InMemory, Metrics.Drain);
        AtLeast("Drain in memory ≥ 200,000 tasks/s", memDrain, 200_000, "tasks/s");
        AtLeast("Drain in memory ≥ 5× Quartz", Div(memDrain, r.Find(Competitors, Systems.Quartz, StoreKinds.InMemory, Metrics.Drain)), 5, "×");
        AtLeast("Drain in memory ≥ 14× Hangfire", Div(memDrain, r.Find(Competitors, Systems.Hangfire, StoreKinds.InMemory, Metrics.Drain)), 14, "×");
        AtLeast("Drain SQLite ≥ 100,000 tasks/s", r.Find(Throughput, Systems.Ours, StoreKinds.Sqlite, Metrics.Drain), 100_000, "tasks/s");
        AtLeast("Drain Postgres ≥ 50% of the raw batched limit", r.Find("limit", Systems.Ours, StoreKinds.Postgres, Metrics.FractionOfLimit), 50, "%");
        AtMost("Postgres ≤ 0.1 commits per processed task under load", r.Find(Throughput, Systems.Ours, StoreKinds.Postgres, Metrics.CommitsPerTask), 0.1, "commits/task");
        AtMost("Postgres near-zero queries when idle (≤ 1 transaction/s)", r.Find(Throughput, Systems.Ours, StoreKinds.Postgres, Metrics.IdleCommits), 1, "commits/s");

        var p50Targets = new (string Store, double Ms, string Label)[]
        {
            (StoreKinds.InMemory, 0.1, "Enqueue → start p50 ≤ 100 µs in memory"),
            (StoreKinds.Sqlite, 1, "Enqueue → start p50 ≤ 1 ms SQLite"),
            (StoreKinds.Postgres, 5, "Enqueue → start p50 ≤ 5 ms Postgres same node"),
        };
        foreach (var (store, ms, label) in p50Targets)
        {
            var p50 = r.Find(Latency, Systems.Ours, store, Metrics.P50);
            AtMost(label, p50, ms, "ms");
            AtMost($"p99 ≤ 10× p50 ({store})", Div(r.Find(Latency, Systems.Ours, store, Metrics.P99), p50), 10, "× p50");
        }

        var cross = r.Find(Latency, Systems.Ours, StoreKinds.Postgres, Metrics.P50CrossProcess);
        AtMost("Enqueue → start p50 ≤ 10 ms across nodes (Postgres, two processes)", cross, 10, "ms");
        AtMost("p99 ≤ 10× p50 (Postgres across processes)", Div(r.Find(Latency, Systems.Ours, StoreKinds.Postgres, Metrics.P99CrossProcess), cross), 10, "× p50");

        AtLeast("Bulk enqueue ≥ 150,000 tasks/s Postgres", r.Find(Throughput, Systems.Ours, StoreKinds.Postgres, Metrics.Enqueue), 150_000, "tasks/s");
        AtLeast("Bulk enqueue ≥ 300,000 tasks/s SQLite", r.Find(Throughput, Systems.Ours, StoreKinds.Sqlite, Metrics.Enqueue), 300_000, "tasks/s");
        AtLeast("Bulk enqueue ≥ 1,000,000 tasks/s in memory", r.Find(Throughput, Systems.Ours, StoreKinds.InMemory, Metrics.Enqueue), 1_000_000, "tasks/s");

        foreach (var store in StoreKinds.All)
        {
            // Within 2× per task: the DAG's drain rate is at least half the single-task drain rate.
            var ratio = Div(r.Find(Throughput, Systems.Ours, store, Metrics.Drain), r.Find("dag", Systems.Ours, store, Metrics.Drain));
            AtMost($"DAG within 2× of single-task throughput per task ({store})", ratio, 2, "× slower per task");
        }

        foreach (var store in new[] { StoreKinds.Sqlite, StoreKinds.Postgres })
            AtMost($"Memory flat in pending tasks ({store}: peak grows ≤ 1.2× from few to many)", r.Find("memory", Systems.Ours, store, Metrics.Growth), 1.2, "×");

        foreach (var store in new[] { StoreKinds.Sqlite, StoreKinds.Postgres })
        {
            AtLeast($"HTTP executor path ≥ 50% of the authenticated-GET floor ÷ 2 ({store})", r.Find(Http, Systems.Ours, store, Metrics.FractionOfFloor), 50, "%");
            AtMost($"Claim p50 flat in the backlog ({store}: large backlog ÷ 20 pending ≤ {HttpExecutorScenario.FlatClaimGrowth}×)", r.Find(Http, Systems.Ours, store, Metrics.ClaimGrowth), HttpExecutorScenario.FlatClaimGrowth, "×");
        }

        return list;
    }

    public static string Format(double v) => v switch
    {
        double.NaN => "–",
        >= 1000 => v.ToString("N0", CultureInfo.InvariantCulture),
        >= 100 => v.ToString("F0", CultureInfo.InvariantCulture),
        >= 10 => v.ToString("F1", CultureInfo.InvariantCulture),
        >= 1 => v.ToString("F2", CultureInfo.InvariantCulture),
        _ => v.ToString("0.###", CultureInfo.InvariantCulture),
    };
}
