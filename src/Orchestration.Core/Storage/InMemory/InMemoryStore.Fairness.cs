namespace Orchestration.Storage.InMemory;

// Fairness between orgs at claim time (ClaimTasksParams.Fairness): from the first claim that shares, the ready tasks are also kept per org, so a claim
// reads each org's first tasks without walking another org's backlog; an org with nothing ready has no entry and costs
// nothing. An org takes part in the sharing while it has a queued task without a concurrency key (the SQL stores find
// such orgs in an index of their own); its retrying and keyed tasks then count within its share. Every method here
// runs under _gate.
public sealed partial class InMemoryStore
{
    private readonly Dictionary<string, SortedSet<TaskState>> _readyByOrg = new(StringComparer.Ordinal);
    // The per-org sets are built by the first claim that shares between orgs and kept from then on: a host that never
    // turns fairness on pays no second sorted-set insert and removal per task.
    private bool _readyByOrgKept;
    // Orgs with queued tasks without a key, and how many: the orgs a claim shares between.
    private readonly Dictionary<string, int> _sharingOrgs = new(StringComparer.Ordinal);
    private readonly FairShare _fairShare = new();
    // Scratch set of the tasks taken within the shares, so the fill in claim order skips them.
    private readonly HashSet<TaskState> _fairPicked = [];

    private void AddReady(TaskState ts)
    {
        if (!_ready.Add(ts)) return;
        if (_readyByOrgKept) AddReadyOfOrg(ts);
        if (Shares(ts)) _sharingOrgs[ts.OrgId] = _sharingOrgs.GetValueOrDefault(ts.OrgId) + 1;
    }

    private void AddReadyOfOrg(TaskState ts)
    {
        if (!_readyByOrg.TryGetValue(ts.OrgId, out var set)) _readyByOrg[ts.OrgId] = set = new SortedSet<TaskState>(ReadyOrder.Instance);
        set.Add(ts);
    }

    // The status a task had when it became ready is the one it has when it leaves the ready set: every caller of
    // RemoveReady changes the status afterwards.
    private static bool Shares(TaskState ts) => ts.LimitKey is null && ts.Status == Domain.TaskRunStatus.Queued;

    private void RemoveReady(TaskState ts)
    {
        if (!_ready.Remove(ts)) return;
        if (_readyByOrgKept)
        {
            var set = _readyByOrg[ts.OrgId];
            set.Remove(ts);
            if (set.Count == 0) _readyByOrg.Remove(ts.OrgId);
        }

        if (!Shares(ts)) return;
        var count = _sharingOrgs.GetValueOrDefault(ts.OrgId) - 1;
        if (count > 0) _sharingOrgs[ts.OrgId] = count;
        else _sharingOrgs.Remove(ts.OrgId);
    }

    // Shares the claim between the orgs with ready work by their weights, each org's share taken in its own claim order,
    // then fills what the shares left unused in the common claim order. False when there is nothing to share (fairness
    // off, a claim scoped to one org, a single org with ready work): the caller claims in plain claim order.
    private bool PickFairly(ClaimTasksParams parameters, ref ClaimFilter filter, List<TaskState> picked)
    {
        if (parameters.Fairness is not { Enabled: true } fairness || parameters.OrgId is not null || _sharingOrgs.Count < 2) return false;
        if (!_readyByOrgKept)
        {
            foreach (var ts in _ready) AddReadyOfOrg(ts);
            _readyByOrgKept = true;
        }

        var orgs = _sharingOrgs.Keys;
        var shares = _fairShare.Allocate(orgs, parameters.Max, fairness);
        var taken = new Dictionary<string, int>(shares.Count, StringComparer.Ordinal);
        var chosen = _fairPicked;
        foreach (var (org, share) in shares)
        {
            var n = 0;
            foreach (var ts in _readyByOrg[org])
            {
                if (!TryTake(ts, parameters, ref filter)) continue;
                picked.Add(ts);
                chosen.Add(ts);
                if (++n == share) break;
            }

            if (n > 0) taken[org] = n;
        }

        _fairShare.Charge(orgs, taken, fairness);
        if (picked.Count < parameters.Max)
        {
            foreach (var ts in _ready)
            {
                if (chosen.Contains(ts) || !TryTake(ts, parameters, ref filter)) continue;
                picked.Add(ts);
                if (picked.Count == parameters.Max) break;
            }
        }

        chosen.Clear();
        return true;
    }
}
