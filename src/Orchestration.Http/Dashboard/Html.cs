using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// The one way dashboard pages put text into HTML: every value goes through <c>E</c>, so a run name, an input or
/// an error message can never become markup.
/// </summary>
internal static class Html
{
    public static string E(string? value) => value is null ? "" : HtmlEncoder.Default.Encode(value);

    public static string E(object? value) => value switch
    {
        null => "",
        DateTimeOffset t => E(Time(t)),
        IFormattable f => E(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => E(value.ToString()),
    };

    public static string Time(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC" : "";

    public static string Url(string value) => Uri.EscapeDataString(value);

    /// <summary>A query string of the non-empty pairs, each part escaped.</summary>
    public static string Query(params (string Name, string? Value)[] pairs)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in pairs)
        {
            if (string.IsNullOrEmpty(value)) continue;
            text.Append(text.Length == 0 ? '?' : '&').Append(Url(name)).Append('=').Append(Url(value));
        }

        return text.ToString();
    }

    /// <summary>Pretty-printed JSON when it parses, the text as stored otherwise; encode the result.</summary>
    public static string Json(string? json)
    {
        if (string.IsNullOrEmpty(json)) return "";
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            return System.Text.Json.JsonSerializer.Serialize(doc.RootElement, Indented);
        }
        catch (System.Text.Json.JsonException)
        {
            return json;
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Status(string status) => $"<span class=\"badge st-{E(status)}\">{E(status.Replace('_', ' '))}</span>";
}
