using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Orchestration.Http.Platform;

/// <summary>The checks behind <see cref="LimitOptions"/>, shared by every family so each cap reads the same everywhere.</summary>
internal static class RequestLimits
{
    /// <summary>The configured caps.</summary>
    public static LimitOptions Limits(this HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<OrchestrationHttpOptions>>().Value.Limits;

    /// <summary>What is wrong with an identifier (too long, or holding NUL, which Postgres cannot store), or null.</summary>
    public static string? IdentifierProblem(this LimitOptions limits, string? value)
    {
        if (value is null) return null;
        if (value.Length > limits.MaxIdentifierLength)
            return $"must be at most {limits.MaxIdentifierLength} characters (Orchestration:Limits:MaxIdentifierLength)";
        if (value.Contains('\0')) return "must not contain NUL";
        return null;
    }

    /// <summary>What is wrong with a list of identifiers in a body (too many, or a bad item), or null.</summary>
    public static string? IdentifierListProblem(this LimitOptions limits, IReadOnlyCollection<string?>? values)
    {
        if (values is null) return null;
        if (values.Count > limits.MaxListItems) return $"must list at most {limits.MaxListItems} values (Orchestration:Limits:MaxListItems)";
        foreach (var value in values)
        {
            if (limits.IdentifierProblem(value) is { } problem) return "values " + problem;
        }

        return null;
    }

    /// <summary>
    /// The first query parameter holding more than <see cref="LimitOptions.MaxQueryListValues"/> values, counting
    /// repeats (<c>?a=1&amp;a=2</c>) and comma-separated items, with what is wrong; null when every one is within the cap.
    /// Checked before any filter reaches a store, so no list of values can grow a statement past a parameter limit.
    /// </summary>
    public static (string Field, string Message)? QueryListProblem(this LimitOptions limits, IQueryCollection query)
    {
        foreach (var (name, values) in query)
        {
            var count = 0;
            foreach (var value in values) count += value is null ? 1 : value.AsSpan().Count(',') + 1;
            if (limits.QueryValuesProblem(count) is { } problem) return (name, problem);
        }

        return null;
    }

    /// <summary>What is wrong with a query parameter holding <paramref name="count"/> values, or null.</summary>
    public static string? QueryValuesProblem(this LimitOptions limits, int count) =>
        count > limits.MaxQueryListValues ? $"must hold at most {limits.MaxQueryListValues} values (Orchestration:Limits:MaxQueryListValues)" : null;

    /// <summary>
    /// Maps the items of a page in order while their cost fits <see cref="LimitOptions.MaxListResponseBytes"/>; the first
    /// item is always kept so paging moves on. The caller tells the client when the page came back shorter.
    /// </summary>
    public static List<TOut> WithinBudget<TIn, TOut>(this LimitOptions limits, IReadOnlyList<TIn> items, Func<TIn, long> cost, Func<TIn, TOut> map)
    {
        var result = new List<TOut>(items.Count);
        long spent = 0;
        foreach (var item in items)
        {
            spent += cost(item);
            if (spent > limits.MaxListResponseBytes && result.Count > 0) break;
            result.Add(map(item));
        }

        return result;
    }
}
