using Dapper;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// The executor registry. Small and written in batches, so Dapper's convenience wins over hand-written readers here.
public sealed partial class SqliteStore : IExecutorRegistry
{
    /// <inheritdoc />
    public Task<int> RecordExecutorActivityAsync(IReadOnlyList<ExecutorActivity> activity, int maxPerOrg, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var applied = 0;
            foreach (var a in activity)
            {
                applied += tx.Db.Connection.Execute(SqliteSql.UpsertExecutor, new
                {
                    a.OrgId,
                    a.ExecutorId,
                    SeenAt = a.SeenAt.UtcTicks,
                    a.Completed,
                    Types = a.Types is null ? null : SqliteValues.ListToJsonAlways(a.Types),
                    a.Capacity,
                    MaxPerOrg = maxPerOrg,
                });
            }

            return applied;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ExecutorRecord>> ListExecutorsAsync(string orgId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ExecutorRecord>>(db => db.Connection.Query<ExecutorRow>(
                SqliteSql.ExecutorsOfOrg, new { orgId })
            .Select(r => new ExecutorRecord(r.OrgId, r.ExecutorId, SqliteValues.Time(r.LastSeen), r.JobsCompleted,
                r.Types is null ? null : SqliteValues.JsonToList(r.Types), r.Capacity is null ? null : (int)r.Capacity.Value))
            .ToList(), cancellationToken);

    /// <inheritdoc />
    public Task<int> RemoveExecutorsSeenBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        WriteAsync(tx => tx.Db.Connection.Execute(SqliteSql.DeleteExecutorsSeenBefore, new { cutoff = cutoff.UtcTicks }), cancellationToken);

    private sealed class ExecutorRow
    {
        public string OrgId { get; set; } = "";
        public string ExecutorId { get; set; } = "";
        public long LastSeen { get; set; }
        public long JobsCompleted { get; set; }
        public string? Types { get; set; }
        public long? Capacity { get; set; }
    }
}
