using System.Text;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// The run list's tag, data-key and input filters, read from run_terms (migration 0020), which triggers keep in step.
public sealed partial class SqliteStore
{
    private static void AppendSearch(RunQuery query, StringBuilder where, List<object?> args)
    {
        if (query.Tag is { } tag) AppendTerm(where, args, query.OrgId, "t", tag, "", "tag");
        if (query.DataKey is { } key) AppendTerm(where, args, query.OrgId, "k", key, "", "dkey");
        if (query is { InputField: { } field, InputValue: { } value }) AppendTerm(where, args, query.OrgId, "i", field, value, "input");
    }

    private static void AppendTerm(StringBuilder where, List<object?> args, string orgId, string kind, string name, string value, string prefix)
    {
        where.Append(System.Globalization.CultureInfo.InvariantCulture,
            $" AND id IN (SELECT run_id FROM run_terms WHERE org_id = ${prefix}Org AND kind = '{kind}' AND name = ${prefix}Name AND value = ${prefix}Value)");
        args.Add(orgId);
        args.Add(name);
        args.Add(value);
    }
}
