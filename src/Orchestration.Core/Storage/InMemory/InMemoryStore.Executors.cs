namespace Orchestration.Storage.InMemory;

// The executor registry: a dictionary per store, under the store's one lock like every other write.
public sealed partial class InMemoryStore : IExecutorRegistry
{
    private readonly Dictionary<(string OrgId, string ExecutorId), ExecutorRecord> _executors = new();

    /// <inheritdoc />
    public Task<int> RecordExecutorActivityAsync(IReadOnlyList<ExecutorActivity> activity, int maxPerOrg, CancellationToken cancellationToken)
    {
        var applied = 0;
        lock (_gate)
        {
            foreach (var a in activity)
            {
                if (_executors.TryGetValue((a.OrgId, a.ExecutorId), out var e))
                {
                    _executors[(a.OrgId, a.ExecutorId)] = e with
                    {
                        LastSeen = a.SeenAt > e.LastSeen ? a.SeenAt : e.LastSeen,
                        JobsCompleted = e.JobsCompleted + a.Completed,
                        Types = a.Types ?? e.Types,
                        Capacity = a.Capacity ?? e.Capacity,
                    };
                }
                else
                {
                    if (_executors.Keys.Count(k => k.OrgId == a.OrgId) >= maxPerOrg) continue;
                    _executors[(a.OrgId, a.ExecutorId)] = new ExecutorRecord(a.OrgId, a.ExecutorId, a.SeenAt, a.Completed, a.Types?.ToList(), a.Capacity);
                }

                applied++;
            }
        }

        return Task.FromResult(applied);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ExecutorRecord>> ListExecutorsAsync(string orgId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<ExecutorRecord> list = _executors.Values.Where(e => e.OrgId == orgId).OrderBy(e => e.ExecutorId, StringComparer.Ordinal).ToList();
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<int> RemoveExecutorsSeenBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var stale = _executors.Where(kv => kv.Value.LastSeen < cutoff).Select(kv => kv.Key).ToList();
            foreach (var key in stale) _executors.Remove(key);
            return Task.FromResult(stale.Count);
        }
    }
}
