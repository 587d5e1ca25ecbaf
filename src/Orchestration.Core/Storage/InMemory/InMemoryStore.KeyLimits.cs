namespace Orchestration.Storage.InMemory;

// Per-key limits (NewTask.LimitKey): running tasks and starts per rate window counted per key, checked by the claim, and
// a wake-up when a task leaves running while another task of its key waits, or when a used-up rate window ends. Every
// method here runs under _gate.
public sealed partial class InMemoryStore
{
    private readonly Dictionary<string, int> _runningByKey = new(StringComparer.Ordinal);

    // Per key with a rate limit: the window its starts were last counted in, and how many. One small entry per key seen.
    private readonly Dictionary<string, (long WindowStartMs, int Starts)> _startsByKey = new(StringComparer.Ordinal);

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
        if (ts.LimitMaxRunning is not { } max || before < max) return;
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

    // Whether the claim may take ts under its key's limits, counting the tasks this claim already picked (perKey). A key
    // held back by its rate arms the wake-up for the end of its window, when it admits more.
    private bool KeyHasRoom(TaskState ts, DateTimeOffset now, ref Dictionary<string, int>? perKey)
    {
        if (ts.LimitKey is not { } key) return true;
        perKey ??= new(StringComparer.Ordinal);
        var extra = perKey.GetValueOrDefault(key);
        if (ts.LimitMaxRunning is { } max && _runningByKey.GetValueOrDefault(key) + extra >= max) return false;
        if (ts.LimitMaxStarts is { } maxStarts)
        {
            var window = KeyRateWindow.Of(now, ts.LimitWindow!.Value);
            var started = _startsByKey.TryGetValue(key, out var s) && s.WindowStartMs == window.StartMs ? s.Starts : 0;
            if (started + extra >= maxStarts)
            {
                _retryWake.WakeAt(window.End);
                return false;
            }
        }

        perKey[key] = extra + 1;
        return true;
    }

    // Counts a claimed task against its key's rate window (a new window starts the count again).
    private void CountStart(TaskState ts, DateTimeOffset now)
    {
        if (ts.LimitKey is not { } key || ts.LimitMaxStarts is not { } maxStarts) return;
        var window = KeyRateWindow.Of(now, ts.LimitWindow!.Value);
        ref var s = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_startsByKey, key, out _);
        s = s.WindowStartMs == window.StartMs ? (s.WindowStartMs, s.Starts + 1) : (window.StartMs, 1);
        // The start that uses the window up: workers wake when the next window opens, whoever waits then.
        if (s.Starts >= maxStarts) _retryWake.WakeAt(window.End);
    }
}
