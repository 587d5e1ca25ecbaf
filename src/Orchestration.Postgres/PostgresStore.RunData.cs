using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Run data writes, each scoped by org.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public async Task<RunDataEntry?> PutRunDataAsync(PutRunDataParams parameters, CancellationToken cancellationToken) =>
        (await InTransactionAsync((tx, ct) => tx.ReadAsync(S(PostgresSql.InsertRunData), new
        {
            id = parameters.EntryId, org = parameters.OrgId, run = parameters.RunId, task = parameters.TaskId, key = parameters.Key, value = parameters.ValueJson,
            tags = parameters.Tags.Distinct(StringComparer.Ordinal).ToArray(), meta = parameters.MetadataJson,
        }, PostgresRows.RunData, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken) =>
        InTransactionAsync((tx, ct) => tx.ExecAsync(S(PostgresSql.DeleteRunData), new { run = parameters.RunId, org = parameters.OrgId, key = parameters.Key, id = parameters.EntryId }, ct), cancellationToken);

    /// <inheritdoc />
    public async Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken) =>
        await InTransactionAsync(async (tx, ct) =>
        {
            var rows = await tx.ReadAsync(S(PostgresSql.LockRunData),
                new { id = parameters.EntryId, run = parameters.RunId, org = parameters.OrgId }, PostgresRows.RunData, ct);
            if (rows.Count == 0) return null;
            var tags = parameters.Apply(rows[0].Tags);
            var updated = await tx.ReadAsync(S(PostgresSql.UpdateRunDataTags),
                new { id = parameters.EntryId, tags }, PostgresRows.RunData, ct);
            return updated[0];
        }, cancellationToken);
}
