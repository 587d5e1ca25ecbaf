using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestration.Benchmarks.Reporting;

/// <summary>The markdown tables on stdout and the JSON file with every figure.</summary>
internal static class ReportWriter
{
    public static string Markdown(BenchReport report, BenchSettings settings)
    {
        var sb = new StringBuilder();
        var m = report.Machine;
        sb.AppendLine(CultureInfo.InvariantCulture, $"## Orchestration benchmark — {report.StartedAt:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine();
        if (m is not null)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {m.Cores} cores ({m.Cpu}), {m.MemoryGiB} GiB, {m.Os}, {m.Runtime}. Commit `{m.Commit}`.");
            sb.AppendLine(CultureInfo.InvariantCulture, $"Versions: {string.Join(", ", m.Versions.Select(kv => $"{kv.Key} {kv.Value}"))}.");
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"Load average (1/5/15 min) at start: {report.LoadAverageAtStart ?? "n/a"}, at end: {report.LoadAverageAtEnd ?? "n/a"}. Duration {report.Duration.TotalSeconds:F0} s. Workers per host: {settings.Workers}.");
        sb.AppendLine();
        sb.AppendLine("| scenario | system | store | metric | value | unit | N | how |");
        sb.AppendLine("|---|---|---|---|---:|---|---:|---|");
        foreach (var f in report.Figures)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {f.Scenario} | {f.System} | {f.Store} | {f.Metric} | {Analysis.Format(f.Value)} | {f.Unit} | {f.Count:N0} | {Escape(f.Note)} |");

        if (report.Ratios.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Ratios (how many times better ours is: throughput ours ÷ theirs, latency theirs ÷ ours):");
            sb.AppendLine();
            sb.AppendLine("| pair | metric | ours | theirs | unit | ours is |");
            sb.AppendLine("|---|---|---:|---:|---|---:|");
            foreach (var x in report.Ratios)
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {x.Pair} | {x.Metric} | {Analysis.Format(x.Ours)} | {Analysis.Format(x.Theirs)} | {x.Unit} | {Analysis.Format(x.Factor)}× |");
        }

        if (report.Targets.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("| target | measured | met |");
            sb.AppendLine("|---|---|---|");
            foreach (var t in report.Targets)
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {t.Name} | {t.Measured} | {(t.Met switch { true => "yes", false => "**no**", null => "not measured" })} |");
        }

        if (report.Gaps.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Not measured in this run:");
            sb.AppendLine();
            foreach (var g in report.Gaps) sb.AppendLine(CultureInfo.InvariantCulture, $"- {g.Scenario} / {g.System} / {g.Store}: {g.Reason}");
        }

        return sb.ToString();
    }

    private static string Escape(string? s) => s is null ? "" : s.Replace("|", "\\|", StringComparison.Ordinal);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string ToJson(BenchReport report, BenchSettings settings, string? postgresVersion, string? postgresOrigin) =>
        JsonSerializer.Serialize(new
        {
            startedAt = report.StartedAt,
            durationSeconds = Math.Round(report.Duration.TotalSeconds, 1),
            loadAverage = new { start = report.LoadAverageAtStart, end = report.LoadAverageAtEnd },
            machine = report.Machine,
            postgres = new { version = postgresVersion, origin = postgresOrigin },
            settings = new
            {
                settings.Scenarios,
                settings.Stores,
                settings.Workers,
                settings.ThroughputTasks,
                settings.DagRuns,
                settings.DagWidth,
                settings.LatencySamples,
                settings.LimitRows,
                settings.ScaleTasks,
                settings.MemoryPending,
                settings.HangfirePostgresTasks,
                competitorBudgetSeconds = settings.CompetitorBudget.TotalSeconds,
                settings.HttpBacklog,
                settings.HttpSmallBacklog,
                settings.HttpSmallJobs,
                settings.HttpExecutors,
                httpBudgetSeconds = settings.HttpBudget.TotalSeconds,
                httpFloorSeconds = settings.HttpFloorDuration.TotalSeconds,
            },
            figures = report.Figures,
            ratios = report.Ratios,
            targets = report.Targets,
            notMeasured = report.Gaps,
        }, Json);
}
