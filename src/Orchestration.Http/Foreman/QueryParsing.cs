using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Platform;

namespace Orchestration.Http.Foreman;

/// <summary>
/// Query values arrive as strings and are parsed here, so a bad value gets the family's 400 body (framework binding
/// would answer an empty 400 before auth runs).
/// </summary>
internal static class QueryParsing
{
    public const int MaxLimit = 100;

    /// <summary>Run and task lists: 20 per page by default, as in the Foreman API reference.</summary>
    public static readonly PagingWire ListPages = new(20, MaxLimit, ApiException.Validation);

    /// <summary>Run data entries: 100 per page by default.</summary>
    public static readonly PagingWire DataPages = new(100, MaxLimit, ApiException.Validation);

    /// <summary>
    /// 400 naming the first query parameter the endpoint does not know. A misspelt or unsupported filter must not
    /// silently answer every row.
    /// </summary>
    public static void RejectUnknown(HttpContext context, params ReadOnlySpan<string> known)
    {
        foreach (var name in context.Request.Query.Keys)
        {
            var found = false;
            // Case-insensitive like the framework's own binding of the known names.
            foreach (var k in known) found |= string.Equals(k, name, StringComparison.OrdinalIgnoreCase);
            if (!found) throw ApiException.Validation(name, "is not a query parameter of this endpoint");
        }
    }

    /// <summary>
    /// A comma list (<c>keys</c>, <c>keyStartsWith</c>, <c>tags</c>, <c>tagStartsWith</c>) within the same caps as every
    /// list query: at most <see cref="LimitOptions.MaxQueryListValues"/> values, each an identifier of at most
    /// <see cref="LimitOptions.MaxIdentifierLength"/> characters (the key and tag length cap, so a longer value could
    /// match nothing).
    /// </summary>
    public static IReadOnlyList<string> CappedList(LimitOptions limits, string field, string? value)
    {
        var list = CommaList(value);
        if (limits.QueryValuesProblem(list.Count) is { } tooMany) throw ApiException.Validation(field, tooMany);
        foreach (var item in list)
        {
            if (limits.IdentifierProblem(item) is { } problem) throw ApiException.Validation(field, "values " + problem);
        }

        return list;
    }

    /// <summary>A single text value (<c>key</c>, <c>keyPattern</c>) capped like an identifier; empty is absent.</summary>
    public static string? CappedText(LimitOptions limits, string field, string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (limits.IdentifierProblem(value) is { } problem) throw ApiException.Validation(field, problem);
        return value;
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
