namespace Orchestration.Storage.InMemory;

// Per-key concurrency limits (NewTask.LimitKey): running tasks counted per key, checked by the claim, and a wake-up
// when a task leaves running while another task of its key waits. Every method here runs under _gate.
public sealed partial class InMemoryStore
{
    private readonly Dictionary<string, int> _runningByKey = new(StringComparer.Ordinal);

    // Set when a task left running while a queued task of its key waited: the operation signals WorkAvailable.
    private bool _keySlotFreed;

    private void EnterKey(string key)
    {
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_runningByKey, key, out _);
        count++;
    }

    private void LeaveKey(TaskState ts)
    {
        var key = ts.LimitKey!;
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_runningByKey, key);
        var before = count--;
        if (count == 0) _runningByKey.Remove(key);
        if (_keySlotFreed) return;
        // Only a key at its limit can have held a task back; the scan stops at the first waiting task of the key.
        if (before < ts.LimitMaxRunning) return;
        foreach (var t in _ready)
        {
            if (!string.Equals(t.LimitKey, key, StringComparison.Ordinal)) continue;
            _keySlotFreed = true;
            return;
        }
    }

    // True once per freed key slot that a queued task waits for; resets the flag.
    private bool TakeKeySlotFreed()
    {
        var freed = _keySlotFreed;
        _keySlotFreed = false;
        return freed;
    }

    // Whether the claim may take ts under its key's limit, counting the tasks this claim already picked (perKey).
    private bool KeyHasRoom(TaskState ts, ref Dictionary<string, int>? perKey)
    {
        if (ts.LimitKey is not { } key) return true;
        perKey ??= new(StringComparer.Ordinal);
        var extra = perKey.GetValueOrDefault(key);
        if (_runningByKey.GetValueOrDefault(key) + extra >= ts.LimitMaxRunning) return false;
        perKey[key] = extra + 1;
        return true;
    }
}
