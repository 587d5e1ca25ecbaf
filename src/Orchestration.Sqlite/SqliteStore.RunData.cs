using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Run data writes. One transaction each on the single writer.
public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public Task<RunDataEntry?> PutRunDataAsync(PutRunDataParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            if (tx.Run(parameters.OrgId, parameters.RunId) is null) return null;
            var entry = parameters.ToEntry(tx.Now);
            tx.Db.Exec(
                "INSERT INTO run_data (id, org_id, run_id, task_id, key, value, tags, metadata, created_at, updated_at) " +
                "VALUES ($id, $org, $run, $task, $key, $value, $tags, $metadata, $created, $updated)",
                entry.Id, entry.OrgId, entry.RunId, entry.TaskId, entry.Key, entry.ValueJson, SqliteValues.ListToJsonAlways(entry.Tags), entry.MetadataJson, tx.Now, tx.Now);
            return (RunDataEntry?)entry;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            if (tx.Run(parameters.OrgId, parameters.RunId) is null) return 0;
            return tx.Db.Exec("DELETE FROM run_data WHERE run_id = $run AND (key = $key OR id = $id)", parameters.RunId, parameters.Key, parameters.EntryId);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            if (tx.Run(parameters.OrgId, parameters.RunId) is null) return null;
            var found = tx.Db.Query($"SELECT {RunDataRows.Columns} FROM run_data WHERE run_id = $run AND id = $id", RunDataRows.Read, parameters.RunId, parameters.EntryId);
            if (found.Count == 0) return null;
            var entry = found[0].Entry;
            var tags = parameters.Apply(entry.Tags);
            entry = entry with { Tags = tags, UpdatedAt = tx.Now };
            tx.Db.Exec("UPDATE run_data SET tags = $tags, updated_at = $now WHERE seq = $seq", SqliteValues.ListToJsonAlways(tags), tx.Now, found[0].Seq);
            return (RunDataEntry?)entry;
        }, cancellationToken);
}
