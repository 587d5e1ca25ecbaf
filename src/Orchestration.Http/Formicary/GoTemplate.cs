using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestration.Http.Platform.Errors;

namespace Orchestration.Http.Formicary;

/// <summary>
/// The subset of Go's text/template that definitions may use: <c>{{.Name}}</c> (spaces inside the braces allowed),
/// replaced by the value's text. Any other action (<c>if</c>, <c>range</c>, pipelines, functions) is refused rather than
/// left in place, so a definition never runs with half-rendered text. Values are inserted as they are: no quoting or
/// escaping, because they land in task inputs (JSON values, or argv entries of exec), never in a shell line.
/// </summary>
internal static partial class GoTemplate
{
    /// <summary>Returns a copy of <paramref name="node"/> with every string value rendered; 400 naming the field on a problem.</summary>
    public static JsonNode? Render(JsonNode? node, Func<string, string?> lookup, string field) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Render(p.Value, lookup, $"{field}.{p.Key}")))),
        JsonArray array => new JsonArray(array.Select((item, i) => Render(item, lookup, $"{field}[{i}]")).ToArray()),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => JsonValue.Create(RenderText(value.GetValue<string>(), lookup, field)),
        _ => node?.DeepClone(),
    };

    public static string RenderText(string text, Func<string, string?> lookup, string field)
    {
        if (!text.Contains("{{", StringComparison.Ordinal)) return text;
        return Action().Replace(text, m =>
        {
            var name = m.Groups["name"];
            if (!name.Success) throw new ApiException(StatusCodes.Status400BadRequest, $"{field}: template action '{m.Value}' is not supported (only {{{{.Name}}}})");
            return lookup(name.Value) ?? throw new ApiException(StatusCodes.Status400BadRequest, $"{field}: missing parameter '{name.Value}'");
        });
    }

    /// <summary>The text a parameter value renders as: strings as they are, other JSON values as compact JSON.</summary>
    public static string Text(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(),
    };

    [GeneratedRegex(@"\{\{-?\s*(?:\.(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}|.*?\}\})", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex Action();
}
