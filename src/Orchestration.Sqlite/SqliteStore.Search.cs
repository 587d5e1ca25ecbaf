using System.Globalization;
using System.Text;
using Dapper;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// The run list's tag, data-key and input filters, read from run_terms (migration 0020), which triggers keep in step.
// Input terms are written only for the declared fields (search_fields), by triggers that exist only while at least one
// field is declared, so a host that declares none runs the enqueue path of a store without search.
public sealed partial class SqliteStore : IRunSearchIndex
{
    private const string InputValue = "CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END";

    // The bounds are RunQuery.MaxInputFieldChars and MaxInputValueChars; integers as written, at most 18 digits.
    private const string SearchableValue = """
        typeof(j.key) = 'text'
          AND ((j.type = 'text' AND length(j.value) <= 200)
            OR (j.type = 'integer' AND length(replace(CAST(j.value AS TEXT), '-', '')) <= 18)
            OR j.type IN ('true', 'false'))
        """;

    private const string InputTriggers = $"""
        CREATE TRIGGER IF NOT EXISTS run_terms_run_input AFTER INSERT ON runs
        WHEN NEW.input IS NOT NULL AND json_valid(NEW.input)
        BEGIN
            INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
            SELECT NEW.org_id, 'i', j.key, {InputValue}, NEW.id
            FROM json_each(NEW.input) j JOIN search_fields f ON f.name = j.key
            WHERE {SearchableValue};
        END;
        CREATE TRIGGER IF NOT EXISTS run_terms_task_input AFTER INSERT ON tasks
        WHEN NEW.input IS NOT NULL AND json_valid(NEW.input)
        BEGIN
            INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
            SELECT NEW.org_id, 'i', j.key, {InputValue}, NEW.run_id
            FROM json_each(NEW.input) j JOIN search_fields f ON f.name = j.key
            WHERE {SearchableValue};
        END;
        CREATE TRIGGER IF NOT EXISTS run_terms_run_delete AFTER DELETE ON runs
        WHEN OLD.input IS NOT NULL AND json_valid(OLD.input)
        BEGIN
            DELETE FROM run_terms
            WHERE org_id = OLD.org_id AND kind = 'i' AND run_id = OLD.id
              AND (name, value) IN (SELECT j.key, {InputValue} FROM json_each(OLD.input) j JOIN search_fields f ON f.name = j.key);
        END;
        CREATE TRIGGER IF NOT EXISTS run_terms_task_delete AFTER DELETE ON tasks
        WHEN OLD.input IS NOT NULL AND json_valid(OLD.input)
        BEGIN
            DELETE FROM run_terms
            WHERE org_id = OLD.org_id AND kind = 'i' AND run_id = OLD.run_id
              AND (name, value) IN (SELECT j.key, {InputValue} FROM json_each(OLD.input) j JOIN search_fields f ON f.name = j.key);
        END;
        """;

    private const string DropInputTriggers = """
        DROP TRIGGER IF EXISTS run_terms_run_input;
        DROP TRIGGER IF EXISTS run_terms_task_input;
        DROP TRIGGER IF EXISTS run_terms_run_delete;
        DROP TRIGGER IF EXISTS run_terms_task_delete;
        """;

    // One field, the runs with seq in ($after, $until] (at most $max of them) and their tasks.
    private const string BackfillBatch = $"""
        INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
        SELECT b.org_id, 'i', j.key, {InputValue}, b.id
        FROM (SELECT id, org_id, input FROM runs WHERE seq > $after AND seq <= $until ORDER BY seq LIMIT $max) b,
             json_each(CASE WHEN json_valid(b.input) THEN b.input END) j
        WHERE j.key = $name AND {SearchableValue}
        UNION ALL
        SELECT t.org_id, 'i', j.key, {InputValue}, t.run_id
        FROM (SELECT id FROM runs WHERE seq > $after AND seq <= $until ORDER BY seq LIMIT $max) b
             JOIN tasks t ON t.run_id = b.id,
             json_each(CASE WHEN json_valid(t.input) THEN t.input END) j
        WHERE j.key = $name AND {SearchableValue}
        """;

    /// <inheritdoc />
    public Task<SearchFieldsDeclared> DeclareSearchFieldsAsync(DeclareSearchFieldsParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var fields = SearchFields.Validate(parameters.Fields);
        return WriteAsync(tx =>
        {
            var db = tx.Db;
            var before = db.Query("SELECT name FROM search_fields", r => r.GetString(0));
            var added = fields.Except(before, StringComparer.Ordinal).ToList();
            var removed = before.Except(fields, StringComparer.Ordinal).ToList();
            // Runs up to the newest one now are the backfill's; later ones are indexed by the triggers.
            var until = db.Scalar("SELECT max(seq) FROM runs") as long? ?? 0;
            foreach (var name in added)
                db.Exec("INSERT INTO search_fields (name, backfill_seq, backfill_until) VALUES ($name, $seq, $until)", name, until > 0 ? 0L : null, until > 0 ? until : null);
            foreach (var name in removed)
            {
                db.Exec("DELETE FROM search_fields WHERE name = $name", name);
                // A full pass over run_terms (its key starts with the org): removing a field is rare and done at start-up.
                db.Exec("DELETE FROM run_terms WHERE kind = 'i' AND name = $name", name);
            }

            var hasTriggers = Convert.ToInt64(db.Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'run_terms_run_input'"), CultureInfo.InvariantCulture) > 0;
            if (fields.Count > 0 && !hasTriggers) db.Connection.Execute(InputTriggers);
            else if (fields.Count == 0 && hasTriggers) db.Connection.Execute(DropInputTriggers);
            return new SearchFieldsDeclared(added, removed);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<SearchBackfillProgress> BackfillSearchFieldsAsync(BackfillSearchFieldsParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.MaxRuns, 1);
        return WriteAsync(tx =>
        {
            var db = tx.Db;
            var pending = db.Query("SELECT name, backfill_seq, backfill_until FROM search_fields WHERE backfill_seq IS NOT NULL ORDER BY name",
                r => (Name: r.GetString(0), After: r.GetInt64(1), Until: r.GetInt64(2)));
            if (pending.Count == 0) return new SearchBackfillProgress(0, []);
            var (name, after, until) = pending[0];
            var batch = db.Query("SELECT seq FROM runs WHERE seq > $after AND seq <= $until ORDER BY seq LIMIT $max", r => r.GetInt64(0), after, until, parameters.MaxRuns);
            if (batch.Count > 0) db.Exec(BackfillBatch, after, until, parameters.MaxRuns, name);
            var done = batch.Count < parameters.MaxRuns || batch[^1] >= until;
            db.Exec("UPDATE search_fields SET backfill_seq = $seq, backfill_until = CASE WHEN $done THEN NULL ELSE backfill_until END WHERE name = $name",
                done ? null : batch[^1], done, name);
            return new SearchBackfillProgress(batch.Count, [.. pending.Skip(done ? 1 : 0).Select(p => p.Name)]);
        }, cancellationToken);
    }

    private static void CheckSearchFields(SqliteCommands db, RunQuery query)
    {
        if (query.InputField is not { } field) return;
        var declared = db.Query("SELECT name FROM search_fields", r => r.GetString(0));
        if (!declared.Contains(field, StringComparer.Ordinal)) throw new UndeclaredSearchFieldException(field, declared);
    }

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
        CheckSearchFields(db, query);
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
