using System.Globalization;
using Orchestration.Http.Errors;

namespace Orchestration.Http.Foreman;

/// <summary>
/// Query values arrive as strings and are parsed here, so a bad value gets the family's 400 body (framework binding
/// would answer an empty 400 before auth runs).
/// </summary>
internal static class QueryParsing
{
    public const int MaxLimit = 100;

    public static int Limit(string? value, int defaultValue)
    {
        if (string.IsNullOrEmpty(value)) return defaultValue;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            throw ApiException.Validation("limit", "must be a positive integer");
        // Larger pages are clamped rather than refused; the envelope's limit says what was applied.
        return Math.Min(n, MaxLimit);
    }

    public static int Offset(string? value)
    {
        if (string.IsNullOrEmpty(value)) return 0;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw ApiException.Validation("offset", "must be a non-negative integer");
        return n;
    }

    public static bool Descending(string? sortOrder) => sortOrder?.ToLowerInvariant() switch
    {
        null or "" or "desc" => true,
        "asc" => false,
        _ => throw ApiException.Validation("sortOrder", "must be 'asc' or 'desc'"),
    };

    public static bool Bool(string field, string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "false" or "0" => false,
        "true" or "1" => true,
        _ => throw ApiException.Validation(field, "must be true or false"),
    };

    public static IReadOnlyList<string> CommaList(string? value) =>
        string.IsNullOrEmpty(value) ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
