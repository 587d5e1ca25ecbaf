using Orchestration.Storage;

namespace Orchestration.Postgres;

// The executor registry. Few rows, written in batches by the HTTP hosts.
public sealed partial class PostgresStore : IExecutorRegistry
{
    // The WHERE admits an executor already registered, or a new one while its org is under the cap (soft under
    // concurrent hosts: two may both see the last free place).
    private const string UpsertExecutor = """
        INSERT INTO {s}.executors AS e (org_id, executor_id, last_seen, jobs_completed, types, capacity)
        SELECT @OrgId, @ExecutorId, @SeenAt, @Completed, @Types::text[], @Capacity::integer
        WHERE EXISTS (SELECT 1 FROM {s}.executors WHERE org_id = @OrgId AND executor_id = @ExecutorId)
           OR (SELECT count(*) FROM {s}.executors WHERE org_id = @OrgId) < @MaxPerOrg
        ON CONFLICT (org_id, executor_id) DO UPDATE SET
            last_seen = GREATEST(e.last_seen, excluded.last_seen),
            jobs_completed = e.jobs_completed + excluded.jobs_completed,
            types = coalesce(excluded.types, e.types),
            capacity = coalesce(excluded.capacity, e.capacity)
        """;

    /// <inheritdoc />
    public Task<int> RecordExecutorActivityAsync(IReadOnlyList<ExecutorActivity> activity, int maxPerOrg, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
        {
            var applied = 0;
            // One order for every host, so two hosts writing overlapping batches cannot deadlock.
            foreach (var a in activity.OrderBy(a => a.OrgId, StringComparer.Ordinal).ThenBy(a => a.ExecutorId, StringComparer.Ordinal))
            {
                applied += await tx.ExecAsync(S(UpsertExecutor), new
                {
                    a.OrgId,
                    a.ExecutorId,
                    SeenAt = a.SeenAt.ToUniversalTime(),
                    a.Completed,
                    Types = a.Types?.ToArray(),
                    a.Capacity,
                    MaxPerOrg = (long)maxPerOrg,
                }, ct);
            }

            return applied;
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<ExecutorRecord>> ListExecutorsAsync(string orgId, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(
            S("SELECT org_id, executor_id, last_seen, jobs_completed, types, capacity FROM {s}.executors WHERE org_id = @orgId ORDER BY executor_id COLLATE \"C\""),
            new { orgId },
            r => new ExecutorRecord(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetInt64(3),
                r.IsDBNull(4) ? null : r.GetFieldValue<string[]>(4), r.IsDBNull(5) ? null : r.GetInt32(5)),
            ct), cancellationToken);

    /// <inheritdoc />
    public Task<int> RemoveExecutorsSeenBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        OnConnectionAsync((tx, ct) => tx.ExecAsync(S("DELETE FROM {s}.executors WHERE last_seen < @cutoff"), new { cutoff = cutoff.ToUniversalTime() }, ct), cancellationToken);
}
