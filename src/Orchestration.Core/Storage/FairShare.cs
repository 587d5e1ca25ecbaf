using Orchestration.Engine;

namespace Orchestration.Storage;

/// <summary>
/// Weighted fair sharing of claims between orgs, for store authors: stride scheduling over the orgs with ready work.
/// Each org has a pass; a claim hands its slots one by one to the org with the lowest pass (ties by org id), and each
/// slot an org actually gets advances its pass by the stride <c>L / weight</c>. An org that becomes active joins at the
/// current virtual time (the lowest pass of the orgs active at the last claim), so an org banks no credit while idle and
/// an org that took more than its share while alone is not punished for it once others arrive.
/// </summary>
/// <remarks>
/// Bound (docs/limits.md, "Fairness"): while an org B has claimable work, between two slots of B every other active
/// org o gets at most <c>floor(w_o / w_B) + 1</c> slots. Slots an org was allotted but could not use (no task of the
/// claimed types, a concurrency limit) are not charged. Thread-safe; one instance per store instance.
/// </remarks>
public sealed class FairShare
{
    // Divisible by every weight from 1 to 20, so strides of the usual weights are exact and a 3:1 share repeats exactly.
    private const long Scale = 232_792_560;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _pass = new(StringComparer.Ordinal);
    private long _virtualTime;
    private int _pruneAt = 1024;

    /// <summary>
    /// Shares <paramref name="max"/> slots between <paramref name="activeOrgs"/> (distinct org ids with ready work):
    /// each entry is an org and how many tasks it may take first, in the order their first slot came. Orgs with no slot
    /// are left out. Nothing is charged until <see cref="Charge"/>.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, int>> Allocate(IReadOnlyCollection<string> activeOrgs, int max, FairnessOptions options)
    {
        ArgumentNullException.ThrowIfNull(activeOrgs);
        ArgumentNullException.ThrowIfNull(options);
        var heap = new PriorityQueue<string, (long Pass, string Org)>(activeOrgs.Count, SlotOrder.Instance);
        lock (_gate)
        {
            foreach (var org in activeOrgs) heap.Enqueue(org, (PassOf(org), org));
        }

        var quotas = new Dictionary<string, int>(Math.Min(activeOrgs.Count, max), StringComparer.Ordinal);
        var order = new List<string>(Math.Min(activeOrgs.Count, max));
        for (var i = 0; i < max && heap.TryDequeue(out var org, out var slot); i++)
        {
            ref var quota = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(quotas, org, out var seen);
            if (!seen) order.Add(org);
            quota++;
            heap.Enqueue(org, (slot.Pass + Stride(options.WeightOf(org)), org));
        }

        return order.ConvertAll(o => new KeyValuePair<string, int>(o, quotas[o]));
    }

    /// <summary>
    /// Charges each active org for the tasks it took within its share (<paramref name="claimed"/>; absent means none)
    /// and moves the virtual time on. Tasks taken beyond the shares (filling what others could not use) are not charged.
    /// </summary>
    public void Charge(IReadOnlyCollection<string> activeOrgs, IReadOnlyDictionary<string, int> claimed, FairnessOptions options)
    {
        ArgumentNullException.ThrowIfNull(activeOrgs);
        ArgumentNullException.ThrowIfNull(claimed);
        ArgumentNullException.ThrowIfNull(options);
        lock (_gate)
        {
            var lowest = long.MaxValue;
            foreach (var org in activeOrgs)
            {
                var pass = PassOf(org) + claimed.GetValueOrDefault(org) * Stride(options.WeightOf(org));
                _pass[org] = pass;
                lowest = Math.Min(lowest, pass);
            }

            if (lowest != long.MaxValue) _virtualTime = Math.Max(_virtualTime, lowest);
            if (_pass.Count >= _pruneAt) Prune();
        }
    }

    private long PassOf(string org) => Math.Max(_pass.GetValueOrDefault(org), _virtualTime);

    private static long Stride(int weight) => Scale / Math.Clamp(weight, 1, FairnessOptions.MaxWeight);

    // A pass at or below the virtual time means the same as no entry: forget it, so orgs that went idle cost nothing.
    private void Prune()
    {
        foreach (var (org, pass) in _pass)
        {
            if (pass <= _virtualTime) _pass.Remove(org);
        }

        _pruneAt = Math.Max(1024, _pass.Count * 2);
    }

    private sealed class SlotOrder : IComparer<(long Pass, string Org)>
    {
        public static SlotOrder Instance { get; } = new();

        public int Compare((long Pass, string Org) x, (long Pass, string Org) y)
        {
            var c = x.Pass.CompareTo(y.Pass);
            return c != 0 ? c : string.CompareOrdinal(x.Org, y.Org);
        }
    }
}
