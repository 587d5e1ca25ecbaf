using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestration.Http.Platform.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Orchestration.Http.Formicary;

/// <summary>
/// Reads a Formicary job definition written as YAML into the same JSON object a JSON body gives. Only the low-level
/// event parser runs: no object graph is built from type tags and nothing is instantiated. Aliases are refused outright
/// (a few anchors can otherwise expand into gigabytes: the "billion laughs"), explicit tags are refused, and size,
/// depth and node count are capped. Plain scalars become numbers, booleans or null when they read as such (YAML 1.2
/// core schema); quoted scalars stay strings.
/// </summary>
internal static partial class FormicaryYaml
{
    public const int MaxBytes = 256 * 1024;
    public const int MaxDepth = 32;
    public const int MaxNodes = 20_000;

    /// <summary>The document's root mapping as JSON, or a 400 naming what is wrong.</summary>
    public static JsonObject Parse(string text)
    {
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _)) throw Invalid("the YAML document is empty");
            parser.Consume<DocumentStart>();
            var nodes = 0;
            var root = ReadNode(parser, 1, ref nodes);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _)) throw Invalid("only one YAML document is accepted");
            return root as JsonObject ?? throw Invalid("the YAML document must be a mapping");
        }
        catch (YamlException e)
        {
            throw Invalid($"malformed YAML at line {e.Start.Line}, column {e.Start.Column}");
        }
    }

    private static JsonNode? ReadNode(IParser parser, int depth, ref int nodes)
    {
        if (depth > MaxDepth) throw Invalid($"the YAML document is nested deeper than {MaxDepth} levels");
        if (++nodes > MaxNodes) throw Invalid($"the YAML document has more than {MaxNodes} nodes");
        if (parser.Accept<AnchorAlias>(out _)) throw Invalid("YAML aliases (*name) are not accepted");
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            RefuseTag(scalar.Tag);
            return scalar.Style is ScalarStyle.Plain ? Plain(scalar.Value) : JsonValue.Create(scalar.Value);
        }

        if (parser.TryConsume<SequenceStart>(out var seq))
        {
            RefuseTag(seq.Tag);
            var array = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _)) array.Add(ReadNode(parser, depth + 1, ref nodes));
            return array;
        }

        var map = parser.Consume<MappingStart>();
        RefuseTag(map.Tag);
        var obj = new JsonObject();
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            if (parser.Accept<AnchorAlias>(out _)) throw Invalid("YAML aliases (*name) are not accepted");
            if (!parser.TryConsume<Scalar>(out var key)) throw Invalid("mapping keys must be plain strings");
            RefuseTag(key.Tag);
            // "<<" is the merge key of YAML 1.1; without aliases it has nothing to merge, so it is refused as a key.
            if (key.Value == "<<") throw Invalid("YAML merge keys (<<) are not accepted");
            var value = ReadNode(parser, depth + 1, ref nodes);
            if (obj.ContainsKey(key.Value)) throw Invalid($"the key '{key.Value}' appears twice");
            obj[key.Value] = value;
        }

        return obj;
    }

    private static void RefuseTag(TagName tag)
    {
        // A non-specific tag ("!") only marks a quoted scalar; every explicit tag names a type, and none is honoured.
        if (!tag.IsEmpty && !tag.IsNonSpecific) throw Invalid($"YAML tags ({tag.Value}) are not accepted");
    }

    private static JsonNode? Plain(string value)
    {
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }

        if (IntegerPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return JsonValue.Create(n);
        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            return JsonValue.Create(d);
        return JsonValue.Create(value);
    }

    private static ApiException Invalid(string message) => new(StatusCodes.Status400BadRequest, "Invalid YAML: " + message);

    [GeneratedRegex("^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();
}
