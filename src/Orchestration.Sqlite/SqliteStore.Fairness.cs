using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Fairness between orgs at claim time (ClaimTasksParams.Fairness). The orgs with queued tasks without a key are listed by
// a skip scan of ix_tasks_claim_org (one seek per such org; an org with nothing queued costs nothing), FairShare shares
// the claim between them, and each org's share is claimed as an org-scoped claim (a seek into the same index, plus the
// org's retrying and keyed tasks, under every limit). Each share's rows are flushed before the next is picked, so later
// counts of running tasks include them; what the shares left unused is then claimed in plain claim order. All of it is
// one transaction on the single writer, so the passes FairShare keeps in this process see every claim.
public sealed partial class SqliteStore
{
    private readonly FairShare _fairShare = new();

    // False when there is nothing to share (fairness off, a claim scoped to one org, at most one org with queued work):
    // the caller claims in plain claim order, at the cost of one more seek than without fairness.
    private bool ClaimFairly(WriteTx tx, ClaimTasksParams p, List<TaskRun> claimed)
    {
        if (p.Fairness is not { Enabled: true } fairness || p.OrgId is not null) return false;
        var orgs = tx.RawDb.Query(SqliteSql.SharingOrgs, r => r.GetString(0));
        if (orgs.Count < 2) return false;
        var taken = new Dictionary<string, int>(orgs.Count, StringComparer.Ordinal);
        foreach (var (org, share) in _fairShare.Allocate(orgs, p.Max, fairness))
        {
            var rows = PickAndCountStarts(tx, p with { OrgId = org, Max = share });
            if (rows.Count == 0) continue;
            StartClaimed(tx, rows, p, claimed);
            tx.FlushRows();
            taken[org] = rows.Count;
        }

        _fairShare.Charge(orgs, taken, fairness);
        if (claimed.Count < p.Max) StartClaimed(tx, PickAndCountStarts(tx, p with { Max = p.Max - claimed.Count }), p, claimed);
        return true;
    }
}
