using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace Orchestration.Http.Tests.Infrastructure;

/// <summary>
/// Turns a response body into a stable snapshot: UUIDs become <c>&lt;uuid-N&gt;</c> numbered by first appearance (so
/// "runId equals the run's id" stays visible), timestamps <c>&lt;timestamp&gt;</c>, API keys and key ids placeholders.
/// Shapes, names, nulls and literal values stay as they are.
/// </summary>
public static partial class SnapshotJson
{
    public static JToken Normalise(JsonNode? node)
    {
        var ids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var normalised = Walk(node, ids);
        return JToken.Parse(normalised?.ToJsonString() ?? "null");
    }

    private static JsonNode? Walk(JsonNode? node, Dictionary<string, string> ids)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (name, value) in o) copy[name] = Walk(value, ids);
                return copy;
            case JsonArray a:
                return new JsonArray(a.Select(x => Walk(x, ids)).ToArray());
            case JsonValue v when v.TryGetValue<string>(out var s):
                if (Uuid().IsMatch(s))
                {
                    if (!ids.TryGetValue(s, out var label)) ids[s] = label = $"<uuid-{ids.Count + 1}>";
                    return JsonValue.Create(label);
                }

                if (Timestamp().IsMatch(s)) return JsonValue.Create("<timestamp>");
                if (s.StartsWith("orch_", StringComparison.Ordinal)) return JsonValue.Create("<api-key>");
                if (KeyId().IsMatch(s)) return JsonValue.Create("<key-id>");
                return v.DeepClone();
            default:
                return node?.DeepClone();
        }
    }

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")]
    private static partial Regex Timestamp();

    [GeneratedRegex("^[0-9a-f]{16}$")]
    private static partial Regex KeyId();
}
