using System.Text;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// The run list's tag, data-key and input filters, read from run_terms (migration 0021), which triggers keep in step.
// Input terms are written only for the declared fields (search_fields), by statement triggers that exist only while at
// least one field is declared: with none, an enqueue statement captures no transition table and calls no function.
public sealed partial class PostgresStore : IRunSearchIndex
{
    private const string InputTriggers = """
        CREATE TRIGGER run_terms_run_input AFTER INSERT ON {s}.runs REFERENCING NEW TABLE AS new_runs
        FOR EACH STATEMENT EXECUTE FUNCTION {s}.run_terms_of_new_runs();
        CREATE TRIGGER run_terms_task_input AFTER INSERT ON {s}.tasks REFERENCING NEW TABLE AS new_tasks
        FOR EACH STATEMENT EXECUTE FUNCTION {s}.run_terms_of_new_tasks();
        """;

    private const string DropInputTriggers = """
        DROP TRIGGER IF EXISTS run_terms_run_input ON {s}.runs;
        DROP TRIGGER IF EXISTS run_terms_task_input ON {s}.tasks;
        """;

    // The safe parser (input_terms): a backfill batch must not fail on one run whose input is not JSON.
    private const string BackfillBatch = """
        INSERT INTO {s}.run_terms (org_id, kind, name, value, run_id)
        SELECT r.org_id, 'i', t.name, t.value, r.id FROM {s}.runs r, {s}.input_terms(r.input_json, @names) t WHERE r.id = ANY (@ids)
        UNION SELECT k.org_id, 'i', t.name, t.value, k.run_id FROM {s}.tasks k, {s}.input_terms(k.input_json, @names) t WHERE k.run_id = ANY (@ids)
        ON CONFLICT DO NOTHING
        """;

    /// <inheritdoc />
    public Task<SearchFieldsDeclared> DeclareSearchFieldsAsync(DeclareSearchFieldsParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var fields = SearchFields.Validate(parameters.Fields);
        var lockKey = PgNames.LockKey(_options.Schema, "search");
        return InTransactionAsync(async (tx, ct) =>
        {
            // Hosts starting together declare one after the other; the trigger check below sees the previous one's DDL.
            await tx.ExecAsync("SELECT pg_advisory_xact_lock(@lockKey)", new { lockKey }, ct);
            var before = await tx.QueryAsync<string>(S("SELECT name FROM {s}.search_fields"), null, ct);
            var added = fields.Except(before, StringComparer.Ordinal).ToList();
            var removed = before.Except(fields, StringComparer.Ordinal).ToList();
            if (added.Count > 0)
                await tx.ExecAsync(S("""
                    INSERT INTO {s}.search_fields (name, backfill_after)
                    SELECT n, CASE WHEN EXISTS (SELECT 1 FROM {s}.runs) THEN '00000000-0000-0000-0000-000000000000'::uuid END FROM unnest(@added::text[]) n
                    """), new { added = added.ToArray() }, ct);
            if (removed.Count > 0)
            {
                await tx.ExecAsync(S("DELETE FROM {s}.search_fields WHERE name = ANY (@removed::text[])"), new { removed = removed.ToArray() }, ct);
                // A full pass over run_terms (its key starts with the org): removing a field is rare and done at start-up.
                await tx.ExecAsync(S("DELETE FROM {s}.run_terms WHERE kind = 'i' AND name = ANY (@removed::text[])"), new { removed = removed.ToArray() }, ct);
            }

            var hasTriggers = await tx.ScalarAsync<long>("""
                SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = @schema AND t.tgname = 'run_terms_run_input'
                """, new { schema = _options.Schema }, ct) > 0;
            if (fields.Count > 0 && !hasTriggers) await tx.ExecAsync(S(InputTriggers), null, ct);
            else if (fields.Count == 0 && hasTriggers) await tx.ExecAsync(S(DropInputTriggers), null, ct);
            return new SearchFieldsDeclared(added, removed);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<SearchBackfillProgress> BackfillSearchFieldsAsync(BackfillSearchFieldsParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.MaxRuns, 1);
        return InTransactionAsync(async (tx, ct) =>
        {
            // FOR UPDATE: two hosts backfilling at once take turns instead of indexing the same batch twice.
            var pending = await tx.QueryAsync<(string Name, Guid After)>(S(
                "SELECT name, backfill_after FROM {s}.search_fields WHERE backfill_after IS NOT NULL ORDER BY name FOR UPDATE"), null, ct);
            if (pending.Count == 0) return new SearchBackfillProgress(0, []);
            var (name, after) = pending[0];
            var ids = await tx.QueryAsync<Guid>(S("SELECT id FROM {s}.runs WHERE id > @after ORDER BY id LIMIT @max"), new { after, max = parameters.MaxRuns }, ct);
            if (ids.Count > 0) await tx.ExecAsync(S(BackfillBatch), new { names = new[] { name }, ids = ids.ToArray() }, ct);
            var done = ids.Count < parameters.MaxRuns;
            await tx.ExecAsync(S("UPDATE {s}.search_fields SET backfill_after = @next WHERE name = @name"), new { next = done ? (Guid?)null : ids[^1], name }, ct);
            return new SearchBackfillProgress(ids.Count, [.. pending.Skip(done ? 1 : 0).Select(p => p.Name)]);
        }, cancellationToken);
    }

    private async Task CheckSearchFieldsAsync(PgTx tx, RunQuery query, CancellationToken ct)
    {
        if (query.InputField is not { } field) return;
        var declared = await tx.QueryAsync<string>(S("SELECT name FROM {s}.search_fields"), null, ct);
        if (!declared.Contains(field, StringComparer.Ordinal)) throw new UndeclaredSearchFieldException(field, declared);
    }

    // Only the filters asked for are written into the statement, never as "(@x IS NULL OR EXISTS ...)": the planner turns
    // a bare EXISTS into a semi-join and then chooses per term between walking the runs in list order and probing the
    // term's primary key (a common term) and reading the term's rows first (a rare one), while an OR'd EXISTS stays a
    // probe per run, a full pass over the org's runs (4 s at a million runs, measured).
    private static string SearchClause(RunQuery query)
    {
        var sql = new StringBuilder();
        if (query.Tag is not null)
            sql.Append("AND EXISTS (SELECT 1 FROM {s}.run_terms st WHERE st.org_id = r.org_id AND st.kind = 't' AND st.name = @tag AND st.value = '' AND st.run_id = r.id) ");
        if (query.DataKey is not null)
            sql.Append("AND EXISTS (SELECT 1 FROM {s}.run_terms sk WHERE sk.org_id = r.org_id AND sk.kind = 'k' AND sk.name = @dataKey AND sk.value = '' AND sk.run_id = r.id) ");
        if (query is { InputField: not null, InputValue: not null })
            sql.Append("AND EXISTS (SELECT 1 FROM {s}.run_terms si WHERE si.org_id = r.org_id AND si.kind = 'i' AND si.name = @inputField AND si.value = @inputValue AND si.run_id = r.id) ");
        return sql.ToString();
    }
}
