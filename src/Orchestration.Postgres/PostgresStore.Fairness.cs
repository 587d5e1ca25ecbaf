using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Fairness between orgs at claim time (ClaimTasksParams.Fairness; migration 0013). The fast claim's gate asks whether a
// second org has queued work (two seeks); only then does the claim come here: it lists the orgs with queued work (a skip
// scan, one round trip), FairShare shares the claim between them by weight, and one exclusive claim statement takes each
// org's share first and fills the rest in claim order under every limit. The passes are this host's: each host shares
// its own claims, so the hosts together share theirs too. A claim with a single org waiting costs what it cost before.
public sealed partial class PostgresStore
{
    private readonly FairShare _fairShare = new();

    private static bool IsFair(ClaimTasksParams p) => p.Fairness is { Enabled: true } && p.OrgId is null;

    // Null when fewer than two orgs have queued work: the caller claims in plain claim order.
    private async Task<IReadOnlyList<TaskRun>?> ClaimFairlyAsync(ClaimTasksParams p, IReadOnlyDictionary<string, int> limits, CancellationToken cancellationToken)
    {
        var fairness = p.Fairness!;
        var orgs = await InOneRoundTripAsync((tx, ct) => tx.ReadAsync(S(PostgresFairSql.SharingOrgsSql), null, r => r.GetString(0), ct), cancellationToken);
        if (orgs.Count < 2) return null;
        var shares = _fairShare.Allocate(orgs, p.Max, fairness);
        var args = new
        {
            lockKey = _claimLockKey,
            orgs = shares.Select(s => s.Key).ToArray(),
            shares = shares.Select(s => s.Value).ToArray(),
            types = p.Types.ToArray(),
            family = p.Family,
            scan = Math.Max(p.Max * 4, 256),
            typeLimited = limits.Count > 0,
            limitTypes = limits.Keys.ToArray(),
            limitValues = limits.Values.ToArray(),
            max = p.Max,
            leaseTicks = p.LeaseDuration.Ticks,
            executor = p.ExecutorId,
            ip = p.ExecutorIp,
        };
        var sql = S(PostgresFairSql.FairClaimSql.Replace("{task}", PostgresRows.TaskColumns, StringComparison.Ordinal));
        var claimed = await InOneRoundTripAsync(async (tx, ct) =>
        {
            var rows = await tx.ReadAsync(sql, args,
                r => (Task: PostgresRows.Task(r), RateWakeMs: r.IsDBNull(r.FieldCount - 2) ? (long?)null : r.GetInt64(r.FieldCount - 2), Share: r.GetInt32(r.FieldCount - 1) == 0),
                ct, skipResults: 1);
            if (rows.Count > 0 && rows[0].RateWakeMs is { } ms) await AnnounceRateWindowEndAsync(tx, TimeSpan.FromMilliseconds(Math.Max(ms, 0)), ct);
            return rows;
        }, cancellationToken);
        var taken = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (task, _, share) in claimed)
        {
            if (share) taken[task.OrgId] = taken.GetValueOrDefault(task.OrgId) + 1;
        }

        _fairShare.Charge(orgs, taken, fairness);
        return claimed.ConvertAll(c => c.Task);
    }
}
