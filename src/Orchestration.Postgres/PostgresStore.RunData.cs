using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Run data writes, each scoped by org.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public async Task<RunDataEntry?> PutRunDataAsync(PutRunDataParams parameters, CancellationToken cancellationToken) =>
        (await InTransactionAsync((tx, ct) => tx.ReadAsync(S("""
            INSERT INTO {s}.run_data AS d (id, org_id, run_id, task_id, key, value_json, tags, metadata_json, created_at, updated_at)
            SELECT @id, @org, @run, @task, @key, @value, @tags, @meta, {now}, {now}
            WHERE EXISTS (SELECT 1 FROM {s}.runs WHERE id = @run AND org_id = @org)
            RETURNING
            """ + " " + PostgresRows.RunDataColumns), new
        {
            id = parameters.EntryId, org = parameters.OrgId, run = parameters.RunId, task = parameters.TaskId, key = parameters.Key, value = parameters.ValueJson,
            tags = parameters.Tags.Distinct(StringComparer.Ordinal).ToArray(), meta = parameters.MetadataJson,
        }, PostgresRows.RunData, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken) =>
        InTransactionAsync((tx, ct) => tx.ExecAsync(S("""
            DELETE FROM {s}.run_data WHERE run_id = @run AND org_id = @org AND ((@key::text IS NOT NULL AND key = @key) OR (@id::uuid IS NOT NULL AND id = @id))
            """), new { run = parameters.RunId, org = parameters.OrgId, key = parameters.Key, id = parameters.EntryId }, ct), cancellationToken);

    /// <inheritdoc />
    public async Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken) =>
        await InTransactionAsync(async (tx, ct) =>
        {
            var rows = await tx.ReadAsync(S("SELECT " + PostgresRows.RunDataColumns + " FROM {s}.run_data d WHERE d.id = @id AND d.run_id = @run AND d.org_id = @org FOR UPDATE"),
                new { id = parameters.EntryId, run = parameters.RunId, org = parameters.OrgId }, PostgresRows.RunData, ct);
            if (rows.Count == 0) return null;
            var tags = parameters.Apply(rows[0].Tags);
            var updated = await tx.ReadAsync(S("UPDATE {s}.run_data d SET tags = @tags, updated_at = {now} WHERE d.id = @id RETURNING " + PostgresRows.RunDataColumns),
                new { id = parameters.EntryId, tags }, PostgresRows.RunData, ct);
            return updated[0];
        }, cancellationToken);
}
