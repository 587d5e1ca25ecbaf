using System.Globalization;

namespace Orchestration.Http.Platform;

/// <summary>
/// How one family pages its lists: the names of its two query parameters, its default and largest page, and how it
/// refuses a bad value (each family answers errors in its own body, so the parser cannot throw one shape for all).
/// </summary>
/// <param name="DefaultLimit">Page size when the client sends none.</param>
/// <param name="MaxLimit">Largest page; a larger one is clamped to it, not refused.</param>
/// <param name="Invalid">Builds the family's 400 from the parameter name and what is wrong with it.</param>
/// <param name="LimitName">Query parameter holding the page size.</param>
/// <param name="OffsetName">Query parameter holding the number of items to skip.</param>
internal sealed record PagingWire(int DefaultLimit, int MaxLimit, Func<string, string, Exception> Invalid, string LimitName = "limit", string OffsetName = "offset");

/// <summary>
/// Limit/offset parsing for every family. Query values arrive as strings and are parsed here, so a bad value gets the
/// family's 400 body (framework binding would answer an empty 400 before auth runs).
/// </summary>
internal static class Paging
{
    /// <summary>The page size: the wire's default when absent, at least 1, clamped to the wire's maximum.</summary>
    public static int Limit(this PagingWire wire, string? value)
    {
        if (string.IsNullOrEmpty(value)) return wire.DefaultLimit;
        // NumberStyles.None: no sign, no spaces, no thousands separators, so "-1" and "+5" are refused like "abc".
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            throw wire.Invalid(wire.LimitName, "must be a positive integer");
        // Larger pages are clamped rather than refused; a response that states its limit says what was applied.
        return Math.Min(n, wire.MaxLimit);
    }

    /// <summary>The number of items to skip: 0 when absent, otherwise a non-negative integer.</summary>
    public static int Offset(this PagingWire wire, string? value)
    {
        if (string.IsNullOrEmpty(value)) return 0;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw wire.Invalid(wire.OffsetName, "must be a non-negative integer");
        return n;
    }
}
