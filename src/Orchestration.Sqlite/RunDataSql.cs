using System.Text;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

/// <summary>
/// The SQL of a run-data query: filter, latest entry per key, order and page all in the database. Lists go in as one
/// JSON array parameter read with <c>json_each</c>, so no number of values can reach SQLite's parameter or
/// expression-depth limits (a chain of hundreds of ORs is "expression tree too large").
/// </summary>
internal static class RunDataSql
{
    /// <summary>A <c>WITH m AS (...), l AS (...)</c> prefix naming the matching rows <c>l</c>, and its arguments in order.</summary>
    public static (string Sql, List<object?> Args) Matching(RunDataQuery query)
    {
        var sql = new StringBuilder("WITH m AS (SELECT * FROM run_data d WHERE d.run_id = $run AND d.org_id = $org");
        var args = new List<object?> { query.RunId, query.OrgId };

        // Key filters combine with OR (Foreman's meaning): any one that matches is enough.
        var keys = new List<string>();
        if (query.Key is not null)
        {
            keys.Add("d.key = $key");
            args.Add(query.Key);
        }

        if (query.Keys.Count > 0)
        {
            keys.Add("d.key IN (SELECT value FROM json_each($keys))");
            args.Add(Json(query.Keys));
        }

        if (query.KeyPrefixes.Count > 0)
        {
            // substr rather than LIKE: ordinal, and '%' or '_' in a prefix stay literal.
            keys.Add("EXISTS (SELECT 1 FROM json_each($keyPrefixes) p WHERE substr(d.key, 1, length(p.value)) = p.value)");
            args.Add(Json(query.KeyPrefixes));
        }

        if (query.KeyPattern is not null)
        {
            keys.Add("d.key GLOB $keyPattern");
            args.Add(GlobPattern(query.KeyPattern));
        }

        if (keys.Count > 0) sql.Append(" AND (").AppendJoin(" OR ", keys).Append(')');

        var all = query.TagMatch == TagMatch.All;
        if (query.Tags.Count > 0)
        {
            sql.Append(all
                ? " AND NOT EXISTS (SELECT 1 FROM json_each($tags) q WHERE q.value NOT IN (SELECT value FROM json_each(d.tags)))"
                : " AND EXISTS (SELECT 1 FROM json_each(d.tags) t WHERE t.value IN (SELECT value FROM json_each($tags)))");
            args.Add(Json(query.Tags));
        }

        if (query.TagPrefixes.Count > 0)
        {
            sql.Append(all
                ? " AND NOT EXISTS (SELECT 1 FROM json_each($tagPrefixes) p WHERE NOT EXISTS (SELECT 1 FROM json_each(d.tags) t WHERE substr(t.value, 1, length(p.value)) = p.value))"
                : " AND EXISTS (SELECT 1 FROM json_each(d.tags) t, json_each($tagPrefixes) p WHERE substr(t.value, 1, length(p.value)) = p.value)");
            args.Add(Json(query.TagPrefixes));
        }

        sql.Append(query.IncludeAll
            ? "), l AS (SELECT * FROM m) "
            // One pass over the matching rows; a correlated max(seq) per row would rescan them for every row.
            : "), l AS (SELECT * FROM (SELECT m.*, row_number() OVER (PARTITION BY m.key ORDER BY m.seq DESC) AS latest FROM m) WHERE latest = 1) ");
        return (sql.ToString(), args);
    }

    /// <summary>The ORDER BY of the page; ties broken by insertion order in the same direction.</summary>
    public static string Order(RunDataQuery query)
    {
        var dir = query.Descending ? "DESC" : "ASC";
        return query.SortBy switch
        {
            RunDataSortField.Key => $"key {dir}, seq {dir}",
            RunDataSortField.UpdatedAt => $"updated_at {dir}, seq {dir}",
            _ => $"seq {dir}",
        };
    }

    /// <summary>Our glob (only <c>*</c> and <c>?</c> are special) as a SQLite GLOB, where <c>[</c> opens a class: write it as <c>[[]</c>.</summary>
    public static string GlobPattern(string pattern) => pattern.Replace("[", "[[]", StringComparison.Ordinal);

    private static string Json(IReadOnlyList<string> values) => SqliteValues.ListToJsonAlways(values);
}
