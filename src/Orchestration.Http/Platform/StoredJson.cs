using System.Text;
using System.Text.Json;

namespace Orchestration.Http.Platform;

/// <summary>
/// Turns stored payload text into response values that can always be written. Bodies are checked for valid text
/// before they are stored, but rows written before that check, or by an in-process client, may still hold text no
/// JSON writer accepts (an escaped or raw lone surrogate, or text that is not JSON at all). Such a value is replaced by
/// <see cref="Invalid"/> in its own field so the rest of the row, and the rest of a list, still answers normally.
/// </summary>
internal static class StoredJson
{
    /// <summary>The note a field carries instead of a stored value that is not valid text.</summary>
    public const string InvalidMessage = "The stored value is not valid UTF-8 JSON and cannot be shown";

    /// <summary>Shown instead of a stored value that cannot be written: <c>{"invalid": true, "error": "..."}</c>.</summary>
    public static JsonElement Invalid { get; } = Marker(new { invalid = true, error = InvalidMessage });

    /// <summary>
    /// The stored JSON as an element; null for null; <see cref="Invalid"/> when it cannot be written; and, when
    /// <paramref name="maxBytes"/> is given and the value is larger, a marker saying it was left out of the list.
    /// </summary>
    public static JsonElement? Element(string? json, int? maxBytes = null)
    {
        if (json is null) return null;
        if (maxBytes is { } max)
        {
            // The store left it out already (list queries cap payloads in SQL), or it is short in characters but not in bytes.
            if (Storage.StoredPayload.TryGetOmitted(json, out var chars)) return Omitted(chars, max);
            if (ByteCount(json, max) > max) return Omitted(json.Length, max);
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            // Only escaped text can hide a lone surrogate once parsing has succeeded (raw ones fail the transcoding).
            if (json.Contains("\\u", StringComparison.Ordinal) && !IsWritable(doc.RootElement)) return Invalid;
            return doc.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return Invalid;
        }
    }

    /// <summary>The text with any lone surrogate replaced by U+FFFD, so an identifier read back can always be written.</summary>
    public static string Text(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            return Replace(text);
        }

        return text;
    }

    /// <inheritdoc cref="Text(string)"/>
    public static string? NullableText(string? text) => text is null ? null : Text(text);

    /// <summary>What a list item's payloads add to a page, counting an omitted one as its marker.</summary>
    public static long ListCost(int maxPayloadBytes, params ReadOnlySpan<string?> payloads)
    {
        long cost = 512;
        foreach (var p in payloads)
        {
            if (p is null) continue;
            var bytes = Storage.StoredPayload.TryGetOmitted(p, out _) ? long.MaxValue : ByteCount(p, maxPayloadBytes);
            cost += bytes > maxPayloadBytes ? 200 : bytes;
        }

        return cost;
    }

    private static JsonElement Omitted(long chars, int max) => Marker(new
    {
        omitted = true,
        chars,
        error = $"The value is larger than the list limit of {max} bytes (Orchestration:Limits:MaxListPayloadBytes); read the item by its id",
    });

    // UTF-8 length, counted exactly only when the character count cannot settle the comparison with the cap.
    private static long ByteCount(string text, int max) =>
        text.Length > max ? Encoding.UTF8.GetByteCount(text) : text.Length <= max / 3 ? text.Length : Encoding.UTF8.GetByteCount(text);

    private static bool IsWritable(JsonElement element)
    {
        try
        {
            Walk(element);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        static void Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    e.GetString();
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) Walk(item);
                    break;
                case JsonValueKind.Object:
                    foreach (var property in e.EnumerateObject())
                    {
                        _ = property.Name;
                        Walk(property.Value);
                    }

                    break;
            }
        }
    }

    private static string Replace(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) i++;
            else if (char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }

        return new string(chars);
    }

    private static JsonElement Marker(object value) => JsonSerializer.SerializeToElement(value);
}
