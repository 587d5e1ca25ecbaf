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
                SqliteSql.InsertRunData,
                entry.Id, entry.OrgId, entry.RunId, entry.TaskId, entry.Key, entry.ValueJson, SqliteValues.ListToJsonAlways(entry.Tags), entry.MetadataJson, tx.Now, tx.Now);
            return (RunDataEntry?)entry;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            if (tx.Run(parameters.OrgId, parameters.RunId) is null) return 0;
            return tx.Db.Exec(SqliteSql.DeleteRunData, parameters.RunId, parameters.Key, parameters.EntryId);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            if (tx.Run(parameters.OrgId, parameters.RunId) is null) return null;
            var found = tx.Db.Query(SqliteSql.RunDataById, RunDataRows.Read, parameters.RunId, parameters.EntryId);
            if (found.Count == 0) return null;
            var entry = found[0].Entry;
            var tags = parameters.Apply(entry.Tags);
            entry = entry with { Tags = tags, UpdatedAt = tx.Now };
            tx.Db.Exec(SqliteSql.UpdateRunDataTags, SqliteValues.ListToJsonAlways(tags), tx.Now, found[0].Seq);
            return (RunDataEntry?)entry;
        }, cancellationToken);
}
