using System.Text.Json.Nodes;

namespace Orchestration.ClientGen.Tests;

/// <summary>Where two JSON documents first differ, as a JSON pointer, so a failure names the change rather than dumping both.</summary>
internal static class JsonDiff
{
    public static string? First(JsonNode? expected, JsonNode? actual, string pointer)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var name in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (!e.ContainsKey(name)) return $"{pointer}/{Escape(name)} (only in the served document)";
                    if (!a.ContainsKey(name)) return $"{pointer}/{Escape(name)} (only in the checked-in copy)";
                    if (First(e[name], a[name], $"{pointer}/{Escape(name)}") is { } inner) return inner;
                }

                return null;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
                {
                    if (i >= e.Count || i >= a.Count) return $"{pointer}/{i} (arrays of {e.Count} and {a.Count} items)";
                    if (First(e[i], a[i], $"{pointer}/{i}") is { } inner) return inner;
                }

                return null;
            default:
                return JsonNode.DeepEquals(expected, actual) ? null : $"{pointer} ({expected?.ToJsonString() ?? "null"} became {actual?.ToJsonString() ?? "null"})";
        }
    }

    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
