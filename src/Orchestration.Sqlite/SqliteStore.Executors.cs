using Dapper;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// The executor registry. Small and written in batches, so Dapper's convenience wins over hand-written readers here.
public sealed partial class SqliteStore : IExecutorRegistry
{
    // The WHERE admits an executor already registered, or a new one while its org is under the cap; it also keeps
    // SQLite's parser from reading ON CONFLICT as part of the SELECT.
    private const string UpsertExecutor = """
        INSERT INTO executors (org_id, executor_id, last_seen, jobs_completed, types, capacity)
        SELECT @OrgId, @ExecutorId, @SeenAt, @Completed, @Types, @Capacity
        WHERE EXISTS (SELECT 1 FROM executors WHERE org_id = @OrgId AND executor_id = @ExecutorId)
           OR (SELECT count(*) FROM executors WHERE org_id = @OrgId) < @MaxPerOrg
        ON CONFLICT (org_id, executor_id) DO UPDATE SET
            last_seen = max(last_seen, excluded.last_seen),
            jobs_completed = jobs_completed + excluded.jobs_completed,
            types = coalesce(excluded.types, types),
            capacity = coalesce(excluded.capacity, capacity)
        """;

    /// <inheritdoc />
    public Task<int> RecordExecutorActivityAsync(IReadOnlyList<ExecutorActivity> activity, int maxPerOrg, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var applied = 0;
            foreach (var a in activity)
            {
                applied += tx.Db.Connection.Execute(UpsertExecutor, new
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
                "SELECT org_id AS OrgId, executor_id AS ExecutorId, last_seen AS LastSeen, jobs_completed AS JobsCompleted, types AS Types, capacity AS Capacity " +
                "FROM executors WHERE org_id = @orgId ORDER BY executor_id", new { orgId })
            .Select(r => new ExecutorRecord(r.OrgId, r.ExecutorId, SqliteValues.Time(r.LastSeen), r.JobsCompleted,
                r.Types is null ? null : SqliteValues.JsonToList(r.Types), r.Capacity is null ? null : (int)r.Capacity.Value))
            .ToList(), cancellationToken);

    /// <inheritdoc />
    public Task<int> RemoveExecutorsSeenBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        WriteAsync(tx => tx.Db.Connection.Execute("DELETE FROM executors WHERE last_seen < @cutoff", new { cutoff = cutoff.UtcTicks }), cancellationToken);

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
