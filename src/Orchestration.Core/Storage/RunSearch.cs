using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// What the run list's tag, data-key and input filters (<see cref="RunQuery.Tag"/>, <see cref="RunQuery.DataKey"/>,
/// <see cref="RunQuery.InputField"/>) can find. The SQL stores index these terms as runs, tasks and run data are
/// written; this type states the rule once, and the in-memory store applies it as it is.
/// </summary>
internal static partial class RunSearch
{
    public const int MaxFieldChars = RunQuery.MaxInputFieldChars;
    public const int MaxValueChars = RunQuery.MaxInputValueChars;

    /// <summary>
    /// The searchable top-level fields of an input: strings up to <see cref="MaxValueChars"/>, integers of at most 18
    /// digits (as written), booleans (<c>true</c>, <c>false</c>). Nothing when the input is not a JSON object, so a
    /// caller that stored other text loses only its searchability.
    /// </summary>
    public static IEnumerable<(string Field, string Value)> InputTerms(string? inputJson)
    {
        if (inputJson is null || !inputJson.AsSpan().TrimStart(" \t\r\n").StartsWith("{", StringComparison.Ordinal)) return [];
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(inputJson);
        }
        catch (JsonException)
        {
            return [];
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return [];
            var terms = new List<(string, string)>();
            foreach (var field in doc.RootElement.EnumerateObject())
            {
                if (field.Name.Length > MaxFieldChars) continue;
                var value = field.Value;
                switch (value.ValueKind)
                {
                    case JsonValueKind.String when value.GetString()!.Length <= MaxValueChars:
                        terms.Add((field.Name, value.GetString()!));
                        break;
                    case JsonValueKind.Number when Integer().IsMatch(value.GetRawText()):
                        terms.Add((field.Name, value.GetRawText()));
                        break;
                    case JsonValueKind.True or JsonValueKind.False:
                        terms.Add((field.Name, value.GetRawText()));
                        break;
                }
            }

            return terms;
        }
    }

    /// <summary>Whether an input has the searchable field <paramref name="field"/> equal to <paramref name="value"/>.</summary>
    public static bool InputMatches(string? inputJson, string field, string value) =>
        InputTerms(inputJson).Any(t => string.Equals(t.Field, field, StringComparison.Ordinal) && string.Equals(t.Value, value, StringComparison.Ordinal));

    /// <summary>Whether run data entries match the query's tag and key filters.</summary>
    public static bool DataMatches(IEnumerable<RunDataEntry> entries, RunQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return (query.Tag is not { } tag || entries.Any(e => e.Tags.Contains(tag, StringComparer.Ordinal)))
            && (query.DataKey is not { } key || entries.Any(e => string.Equals(e.Key, key, StringComparison.Ordinal)));
    }

    [GeneratedRegex("^-?[0-9]{1,18}$", RegexOptions.CultureInvariant)]
    private static partial Regex Integer();
}
