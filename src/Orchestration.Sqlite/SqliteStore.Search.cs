using System.Globalization;
using System.Text;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// The run list's tag, data-key and input filters, read from run_terms (migration 0020), which triggers keep in step.
public sealed partial class SqliteStore
{
    // At or above this many runs for every term asked for, the query walks the org's runs in list order; below it, the
    // term's rows drive it. Counting up to it is one bounded primary-key range.
    private const int CommonTermRuns = 10_000;

    // SQLite's planner has no statistics on how many runs a term matches. Left to itself it walks the org's runs in list
    // order testing each id against the term's rows: right for a common term, a full pass for a rare one (1.1 s for a
    // term of 50 runs at a million runs, measured). With the org index disabled ("+org_id") the term's rows drive the
    // query through runs' unique id index instead: right for a rare term, slow for a common one (6 s for 125,000 runs
    // against 1.4 s). So the store counts the rarest term's rows up to CommonTermRuns first and chooses.
    private static void AppendSearch(SqliteCommands db, RunQuery query, StringBuilder where, List<object?> args)
    {
        var terms = new List<(string Kind, string Name, string Value, string Prefix)>();
        if (query.Tag is { } tag) terms.Add(("t", tag, "", "tag"));
        if (query.DataKey is { } key) terms.Add(("k", key, "", "dkey"));
        if (query is { InputField: { } field, InputValue: { } value }) terms.Add(("i", field, value, "input"));
        if (terms.Count == 0) return;
        foreach (var (kind, name, termValue, prefix) in terms)
        {
            where.Append(CultureInfo.InvariantCulture,
                $" AND id IN (SELECT run_id FROM run_terms WHERE org_id = ${prefix}Org AND kind = '{kind}' AND name = ${prefix}Name AND value = ${prefix}Value)");
            args.Add(query.OrgId);
            args.Add(name);
            args.Add(termValue);
        }

        var rare = terms.Any(t => Convert.ToInt32(db.Scalar(
            "SELECT count(*) FROM (SELECT 1 FROM run_terms WHERE org_id = $org AND kind = $kind AND name = $name AND value = $value LIMIT $cap)",
            query.OrgId, t.Kind, t.Name, t.Value, CommonTermRuns), CultureInfo.InvariantCulture) < CommonTermRuns);
        if (rare) where.Replace(" WHERE org_id = $org", " WHERE +org_id = $org");
    }
}
