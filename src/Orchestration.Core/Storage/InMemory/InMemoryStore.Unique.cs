using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Unique work: the latest run created with each (org, scope, key), checked and taken under the one lock.
public sealed partial class InMemoryStore
{
    private readonly Dictionary<(string Org, string Scope, string Key), Guid> _uniqueKeys = [];

    // The run that blocks p by p's rule, or null after p took the key (the caller then creates p's run). A holder that is
    // gone (evicted) or no longer blocks gives the key up: nothing has to release it when a run finishes.
    private RunState? UniqueHolder(CreateRunParams p, DateTimeOffset now)
    {
        if (p.Unique is not { } rule) return null;
        var slot = (p.OrgId, NewRun.UniqueScopeOf(p)!, rule.Key);
        if (_uniqueKeys.TryGetValue(slot, out var holderId) && _runs.TryGetValue(holderId, out var holder)
            && rule.Blocks(holder.Status, holder.CompletedAt, now))
            return holder;
        _uniqueKeys[slot] = p.RunId;
        return null;
    }
}
