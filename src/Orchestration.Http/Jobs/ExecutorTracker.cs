using System.Collections.Concurrent;

namespace Orchestration.Http.Jobs;

/// <summary>
/// Remote executors seen by this process: last call, completed count, declared types and capacity, per org. Kept in
/// memory: the admin list is a view of recent activity, and what an executor currently holds is read from the store,
/// so a restart only resets the counters. Several hosts behind a balancer each see the executors that called them.
/// </summary>
internal sealed class ExecutorTracker(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string OrgId, string ExecutorId), Entry> _entries = new();

    public void Touch(string orgId, string executorId, IReadOnlyList<string>? types = null, int? capacity = null)
    {
        var now = time.GetUtcNow();
        _entries.AddOrUpdate((orgId, executorId),
            _ => new Entry(now, 0, types, capacity),
            (_, e) => e with { LastSeen = now, Types = types ?? e.Types, Capacity = capacity ?? e.Capacity });
    }

    public void Completed(string orgId, string executorId)
    {
        var now = time.GetUtcNow();
        _entries.AddOrUpdate((orgId, executorId), _ => new Entry(now, 1, null, null), (_, e) => e with { LastSeen = now, Completed = e.Completed + 1 });
    }

    /// <summary>Executors of <paramref name="orgId"/> whose last call is younger than <paramref name="window"/>.</summary>
    public IReadOnlyList<(string ExecutorId, Entry Entry)> Active(string orgId, TimeSpan window)
    {
        var since = time.GetUtcNow() - window;
        return _entries.Where(kv => kv.Key.OrgId == orgId && kv.Value.LastSeen >= since)
            .Select(kv => (kv.Key.ExecutorId, kv.Value)).OrderBy(x => x.ExecutorId, StringComparer.Ordinal).ToList();
    }

    public Entry? Get(string orgId, string executorId) => _entries.TryGetValue((orgId, executorId), out var e) ? e : null;

    internal sealed record Entry(DateTimeOffset LastSeen, long Completed, IReadOnlyList<string>? Types, int? Capacity);
}
