using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Claiming, heartbeats and giving leases back.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskRun>> ClaimTasksAsync(ClaimTasksParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.Max <= 0) return [];
        await QueueDueScheduledTasksAsync(cancellationToken);
        var limits = parameters.TypeLimits ?? new Dictionary<string, int>();
        var args = new
        {
            lockKey = _claimLockKey,
            types = parameters.Types.ToArray(),
            org = parameters.OrgId,
            family = parameters.Family,
            scan = Math.Max(parameters.Max * 4, 256),
            typeLimited = limits.Count > 0,
            limitTypes = limits.Keys.ToArray(),
            limitValues = limits.Values.ToArray(),
            max = parameters.Max,
            leaseTicks = parameters.LeaseDuration.Ticks,
            executor = parameters.ExecutorId,
            ip = parameters.ExecutorIp,
            fair = IsFair(parameters),
        };
        if (limits.Count == 0)
        {
            var fast = await InOneRoundTripAsync((tx, ct) => tx.ReadAsync(S(PostgresSql.FastClaimSql.Replace("{task}", PostgresRows.TaskColumns, StringComparison.Ordinal)), args,
                r => (Task: r.IsDBNull(0) ? null : PostgresRows.Task(r), Limited: r.GetBoolean(r.FieldCount - 1)), ct, skipResults: 1), cancellationToken);
            if (fast.Count == 0 || !fast[0].Limited) return fast.Where(f => f.Task is not null).Select(f => f.Task!).ToList();
        }

        if (args.fair && await ClaimFairlyAsync(parameters, limits, cancellationToken) is { } fair) return fair;
        var sql = S(PostgresSql.ClaimSql.Replace("{task}", PostgresRows.TaskColumns, StringComparison.Ordinal));
        return await InOneRoundTripAsync(async (tx, ct) =>
        {
            var rows = await tx.ReadAsync(sql, args, r => (Task: PostgresRows.Task(r), RateWakeMs: r.IsDBNull(r.FieldCount - 1) ? (long?)null : r.GetInt64(r.FieldCount - 1)), ct, skipResults: 1);
            if (rows.Count > 0 && rows[0].RateWakeMs is { } ms) await AnnounceRateWindowEndAsync(tx, TimeSpan.FromMilliseconds(Math.Max(ms, 0)), ct);
            return rows.ConvertAll(r => r.Task);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<HeartbeatResult>> HeartbeatTasksAsync(HeartbeatTasksParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.Leases.Count == 0) return [];
        var ids = parameters.Leases.Select(l => l.TaskId).ToArray();
        var tokens = parameters.Leases.Select(l => l.LeaseToken).ToArray();
        return await InOneRoundTripAsync((tx, ct) => tx.ReadAsync(S(PostgresSql.HeartbeatSql), new { ids, tokens, leaseTicks = parameters.LeaseDuration.Ticks }, r =>
        {
            var id = r.GetGuid(0);
            if (!r.IsDBNull(1)) return new HeartbeatResult(id, HeartbeatOutcome.Extended, r.GetFieldValue<DateTimeOffset>(1));
            var cancelled = !r.IsDBNull(2) && r.GetString(2) == "cancelled" && !r.IsDBNull(3) && r.GetBoolean(3);
            return new HeartbeatResult(id, cancelled ? HeartbeatOutcome.Cancelled : HeartbeatOutcome.Lost, null);
        }, ct), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int> ReleaseTasksAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken)
    {
        if (leases.Count == 0) return 0;
        var ids = leases.Select(l => l.TaskId).ToArray();
        var tokens = leases.Select(l => l.LeaseToken).ToArray();
        return await InTransactionAsync(async (tx, ct) =>
        {
            var released = await tx.ScalarAsync<int>(S(PostgresSql.ReleaseSql), new { ids, tokens }, ct);
            if (released > 0) tx.WorkAvailable = true;
            return released;
        }, cancellationToken);
    }
}
