using Orchestration.Storage;

namespace Orchestration.Postgres;

// The executor registry. Few rows, written in batches by the HTTP hosts.
public sealed partial class PostgresStore : IExecutorRegistry
{
    /// <inheritdoc />
    public Task<int> RecordExecutorActivityAsync(IReadOnlyList<ExecutorActivity> activity, int maxPerOrg, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
        {
            var applied = 0;
            // One order for every host, so two hosts writing overlapping batches cannot deadlock.
            foreach (var a in activity.OrderBy(a => a.OrgId, StringComparer.Ordinal).ThenBy(a => a.ExecutorId, StringComparer.Ordinal))
            {
                applied += await tx.ExecAsync(S(PostgresSql.UpsertExecutor), new
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
            S(PostgresSql.ExecutorsOfOrg),
            new { orgId },
            r => new ExecutorRecord(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetInt64(3),
                r.IsDBNull(4) ? null : r.GetFieldValue<string[]>(4), r.IsDBNull(5) ? null : r.GetInt32(5)),
            ct), cancellationToken);

    /// <inheritdoc />
    public Task<int> RemoveExecutorsSeenBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        OnConnectionAsync((tx, ct) => tx.ExecAsync(S(PostgresSql.DeleteExecutorsSeenBefore), new { cutoff = cutoff.ToUniversalTime() }, ct), cancellationToken);
}
