using System.Globalization;
using System.Text;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// The overview: runs by status, runs created and failed per hour over the last twelve hours, and the task queue's depth.
/// Every number is a count the store answers from its indexes (a page of zero rows with its total), never a scan here.
/// </summary>
internal static class OverviewPage
{
    private const int Hours = 12;

    public static async Task<IResult> RenderAsync(DashboardView view, IOrchestrationClient client, IExecutorRegistry registry, TimeProvider time, bool fragmentOnly)
    {
        var ct = view.Context.RequestAborted;
        var readable = FamilyAccess.Readable(view.Caller);
        // One query covers every family when the caller reads them all; otherwise one per family it reads.
        IReadOnlyList<string?> families = readable.Count == FamilyAccess.Known.Count ? [null] : readable.Select(f => (string?)f.Family).ToList();

        async Task<int> Count(RunStatus? status, DateTimeOffset? from = null, DateTimeOffset? before = null)
        {
            var total = 0;
            foreach (var family in families)
                total += (await client.Queries.ListRunsAsync(new RunQuery
                {
                    OrgId = view.Caller.OrgId, Family = family, Status = status, CreatedFrom = from, CreatedBefore = before, Limit = 0,
                }, ct)).Total;
            return total;
        }

        var byStatus = new List<(string Label, int Value, string Css)>();
        foreach (var status in Enum.GetValues<RunStatus>()) byStatus.Add((status.ToWire(), await Count(status), "st-" + status.ToWire()));

        var now = time.GetUtcNow();
        var hourStart = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var created = new List<(string, int, string)>();
        var failed = new List<(string, int, string)>();
        for (var i = Hours - 1; i >= 0; i--)
        {
            var from = hourStart.AddHours(-i);
            var label = from.ToString("HH:mm", CultureInfo.InvariantCulture);
            created.Add((label, await Count(null, from, from.AddHours(1)), "st-running"));
            failed.Add((label, await Count(RunStatus.Failed, from, from.AddHours(1)), "st-failed"));
        }

        var queued = 0;
        var running = 0;
        foreach (var family in families)
        {
            queued += (await client.Queries.ListTasksAsync(new TaskQuery { OrgId = view.Caller.OrgId, Family = family, Status = TaskRunStatus.Queued, Limit = 0 }, ct)).Total;
            running += (await client.Queries.ListTasksAsync(new TaskQuery { OrgId = view.Caller.OrgId, Family = family, Status = TaskRunStatus.Running, Limit = 0 }, ct)).Total;
        }

        var html = new StringBuilder("<div class=\"cards\">");
        Card(html, "Runs", byStatus.Sum(s => s.Value), "overview-total");
        Card(html, "Running runs", byStatus.First(s => s.Label == "running").Value, "overview-running");
        Card(html, "Failed runs", byStatus.First(s => s.Label == "failed").Value, "overview-failed");
        Card(html, "Queue depth (queued tasks)", queued, "overview-queued");
        Card(html, "Tasks running now", running, "overview-tasks-running");
        if (view.Caller.Has(Platform.Auth.Permissions.OpsRead))
        {
            // Remote executors heard from in the last two minutes; the host's own worker is not in the registry.
            var executors = await registry.ListExecutorsAsync(view.Caller.OrgId, ct);
            Card(html, "Active remote executors", executors.Count(e => now - e.LastSeen < TimeSpan.FromMinutes(2)), "overview-executors");
        }

        html.Append("</div>");
        html.Append("<section aria-labelledby=\"by-status\"><h2 id=\"by-status\">Runs by status</h2>").Append(Chart.Bars(byStatus, "Runs by status")).Append("</section>");
        html.Append("<section aria-labelledby=\"throughput\"><h2 id=\"throughput\">Runs created per hour (UTC)</h2>").Append(Chart.Bars(created, "Runs created per hour")).Append("</section>");
        html.Append("<section aria-labelledby=\"failures\"><h2 id=\"failures\">Failed runs per hour created (UTC)</h2>").Append(Chart.Bars(failed, "Failed runs per hour")).Append("</section>");

        DashboardLayout.NoStore(view.Context);
        if (fragmentOnly) return DashboardLayout.Fragment(html.ToString());
        return DashboardLayout.Page(view, "Overview", "/", "<div id=\"live\" aria-live=\"off\">" + html + "</div>", live: view.Path("/live"), fragment: view.Path("/?fragment=1"));
    }

    private static void Card(StringBuilder html, string label, int value, string id) =>
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"card\"><div class=\"n\" id=\"{id}\">{value}</div><div>{Html.E(label)}</div></div>");
}

/// <summary>Bar charts as server-rendered SVG: no chart library, no script, colours from the style sheet.</summary>
internal static class Chart
{
    public static string Bars(IReadOnlyList<(string Label, int Value, string Css)> bars, string title)
    {
        const int barWidth = 44, gap = 14, height = 160, top = 18, bottom = 22, left = 8;
        var max = Math.Max(1, bars.Count == 0 ? 1 : bars.Max(b => b.Value));
        var width = left * 2 + bars.Count * (barWidth + gap);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height + top + bottom}\" role=\"img\" aria-label=\"{Html.E(title + ": " + string.Join(", ", bars.Select(b => $"{b.Label} {b.Value}")))}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{left}\" y1=\"{top + height}\" x2=\"{width - left}\" y2=\"{top + height}\"/>");
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, value, css) = bars[i];
            var h = (int)Math.Round(height * (double)value / max);
            var x = left + i * (barWidth + gap);
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar {Html.E(css)}\" x=\"{x}\" y=\"{top + height - h}\" width=\"{barWidth}\" height=\"{h}\"><title>{Html.E(label)}: {value}</title></rect>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{x + barWidth / 2}\" y=\"{top + height - h - 4}\" text-anchor=\"middle\">{value}</text>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{x + barWidth / 2}\" y=\"{top + height + 16}\" text-anchor=\"middle\">{Html.E(label)}</text>");
        }

        return svg.Append("</svg>").ToString();
    }
}
