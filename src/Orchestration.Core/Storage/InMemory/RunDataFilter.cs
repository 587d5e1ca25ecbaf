using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

/// <summary>The reference meaning of a <see cref="RunDataQuery"/>'s filters; the SQL stores must agree with it.</summary>
internal static class RunDataFilter
{
    public static bool Matches(RunDataQuery query, RunDataEntry entry) => KeyMatches(query, entry.Key) && TagsMatch(query, entry.Tags);

    private static bool KeyMatches(RunDataQuery query, string key)
    {
        var anyFilter = query.Key is not null || query.Keys.Count > 0 || query.KeyPrefixes.Count > 0 || query.KeyPattern is not null;
        if (!anyFilter) return true;
        return string.Equals(key, query.Key, StringComparison.Ordinal)
            || query.Keys.Contains(key, StringComparer.Ordinal)
            || query.KeyPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal))
            || (query.KeyPattern is { } pattern && Glob(pattern, key));
    }

    private static bool TagsMatch(RunDataQuery query, IReadOnlyList<string> tags)
    {
        bool Has(string tag) => tags.Contains(tag, StringComparer.Ordinal);
        bool HasPrefix(string prefix) => tags.Any(t => t.StartsWith(prefix, StringComparison.Ordinal));
        var all = query.TagMatch == TagMatch.All;
        var byTag = query.Tags.Count == 0 || (all ? query.Tags.All(Has) : query.Tags.Any(Has));
        var byPrefix = query.TagPrefixes.Count == 0 || (all ? query.TagPrefixes.All(HasPrefix) : query.TagPrefixes.Any(HasPrefix));
        return byTag && byPrefix;
    }

    /// <summary>Whole-string glob: <c>*</c> any run of characters, <c>?</c> exactly one, everything else literal.</summary>
    public static bool Glob(string pattern, string text)
    {
        // Iterative matcher with single-star backtracking: linear enough for 255-character keys, no regex to escape.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || (pattern[p] != '*' && pattern[p] == text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
