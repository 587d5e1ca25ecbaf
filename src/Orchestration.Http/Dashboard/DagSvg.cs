using System.Globalization;
using System.Text;
using Orchestration.Domain;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// A run's task graph as SVG, laid out on the server: each task's layer is the longest path to it from a root, so every
/// edge points right; tasks of one layer stack top to bottom in creation order. Colours come from the style sheet by
/// status class, so the SVG carries no inline style (the CSP forbids it).
/// </summary>
internal static class DagSvg
{
    public const int MaxNodes = 300;
    private const int NodeWidth = 170;
    private const int NodeHeight = 46;
    private const int ColumnGap = 60;
    private const int RowGap = 18;
    private const int Margin = 12;

    public static string Render(IReadOnlyList<TaskRun> tasks)
    {
        if (tasks.Count == 0) return "<p class=\"muted\">This run has no tasks.</p>";
        var shown = tasks.Take(MaxNodes).ToList();
        var byName = new Dictionary<string, TaskRun>(StringComparer.Ordinal);
        foreach (var t in shown) byName.TryAdd(t.Name, t);

        var layers = Layers(shown, byName);
        var rows = new Dictionary<Guid, int>();
        var perLayer = new Dictionary<int, int>();
        foreach (var t in shown)
        {
            var layer = layers[t.Id];
            perLayer.TryGetValue(layer, out var row);
            rows[t.Id] = row;
            perLayer[layer] = row + 1;
        }

        var width = Margin * 2 + (perLayer.Keys.Max() + 1) * (NodeWidth + ColumnGap) - ColumnGap;
        var height = Margin * 2 + perLayer.Values.Max() * (NodeHeight + RowGap) - RowGap;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"dag\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"group\" aria-labelledby=\"dag-title\">")
            .Append("<title id=\"dag-title\">Task graph: ").Append(Html.E(string.Join(", ", shown.Select(t => $"{t.Name} {t.Status.ToWire()}")))).Append("</title>")
            .Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" class=\"arrow\"/></marker></defs>");

        foreach (var t in shown)
        {
            foreach (var from in Sources(t))
            {
                if (!byName.TryGetValue(from, out var source)) continue;
                var (x1, y1) = Position(layers[source.Id], rows[source.Id]);
                var (x2, y2) = Position(layers[t.Id], rows[t.Id]);
                double sx = x1 + NodeWidth, sy = y1 + NodeHeight / 2.0, ex = x2, ey = y2 + NodeHeight / 2.0, mid = (sx + ex) / 2;
                svg.Append(CultureInfo.InvariantCulture, $"<path class=\"edge\" d=\"M {sx} {sy} C {mid} {sy}, {mid} {ey}, {ex} {ey}\" marker-end=\"url(#arrow)\"/>");
            }
        }

        foreach (var t in shown)
        {
            var (x, y) = Position(layers[t.Id], rows[t.Id]);
            var status = t.Status.ToWire();
            svg.Append("<a href=\"#task-").Append(t.Id.ToString("D")).Append("\">")
                .Append("<g class=\"node st-").Append(Html.E(status)).Append("\" data-task=\"").Append(Html.E(t.Name)).Append("\" data-status=\"").Append(Html.E(status)).Append("\">")
                .Append("<title>").Append(Html.E($"{t.Name} ({t.Type}): {status}")).Append("</title>")
                .Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y}\" width=\"{NodeWidth}\" height=\"{NodeHeight}\" rx=\"6\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 10}\" y=\"{y + 19}\" class=\"name\">").Append(Html.E(Shorten(t.Name, 22))).Append("</text>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 10}\" y=\"{y + 36}\" class=\"status\">").Append(Html.E(status.Replace('_', ' '))).Append("</text>")
                .Append("</g></a>");
        }

        svg.Append("</svg>");
        if (tasks.Count > shown.Count)
            svg.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">The graph shows the first {shown.Count} of {tasks.Count} tasks; the table lists them all.</p>");
        return svg.ToString();
    }

    /// <summary>Longest path from a root, for each task; computed iteratively so a deep chain cannot exhaust the stack.</summary>
    internal static Dictionary<Guid, int> Layers(IReadOnlyList<TaskRun> tasks, IReadOnlyDictionary<string, TaskRun> byName)
    {
        var layers = tasks.ToDictionary(t => t.Id, _ => 0);
        // Bellman-Ford style relaxation: at most one pass per task; a cycle (never stored, but never trusted) just stops it.
        for (var pass = 0; pass < tasks.Count; pass++)
        {
            var changed = false;
            foreach (var t in tasks)
            {
                foreach (var from in Sources(t))
                {
                    if (!byName.TryGetValue(from, out var source) || source.Id == t.Id) continue;
                    // No layer beyond n-1 exists in a graph of n tasks: the cap keeps a stored cycle's drawing finite.
                    if (layers[source.Id] + 1 > layers[t.Id] && layers[source.Id] + 1 < tasks.Count)
                    {
                        layers[t.Id] = layers[source.Id] + 1;
                        changed = true;
                    }
                }
            }

            if (!changed) break;
        }

        return layers;
    }

    private static IEnumerable<string> Sources(TaskRun t) => t.Dependencies.Concat(t.Routes.Select(r => r.From)).Distinct(StringComparer.Ordinal);

    private static (int X, int Y) Position(int layer, int row) => (Margin + layer * (NodeWidth + ColumnGap), Margin + row * (NodeHeight + RowGap));

    private static string Shorten(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
