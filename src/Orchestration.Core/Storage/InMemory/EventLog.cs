using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// The most recent events, oldest overwritten first. Entries are structs in one array, so writing an event allocates
// nothing (a record per event, kept until 100,000 newer ones pushed it out, was most of what the store promoted to
// the older GC generations); readers get records built for what they read. Sequences are consecutive, so a read
// starts at its position instead of scanning. Not thread-safe: used under the store's lock.
internal sealed class EventLog(int capacity)
{
    private Entry[] _entries = new Entry[Math.Min(capacity, 1024)];
    private int _start;
    private int _count;
    private long _lastSequence;

    public long Append(string orgId, Guid runId, Guid? taskId, string type, string? dataJson, DateTimeOffset createdAt)
    {
        if (_count == _entries.Length)
        {
            if (_entries.Length < capacity) Grow();
            else
            {
                _start = (_start + 1) % _entries.Length;
                _count--;
            }
        }

        var sequence = ++_lastSequence;
        _entries[(_start + _count) % _entries.Length] = new Entry(sequence, orgId, runId, taskId, type, dataJson, createdAt);
        _count++;
        return sequence;
    }

    public List<EngineEvent> Read(long afterSequence, int limit, string? orgId)
    {
        var result = new List<EngineEvent>();
        var firstSequence = _lastSequence - _count + 1;
        var skip = afterSequence < firstSequence ? 0 : afterSequence - firstSequence + 1;
        for (var i = skip; i < _count && result.Count < limit; i++)
        {
            ref readonly var e = ref _entries[(_start + (int)i) % _entries.Length];
            if (e.Removed) continue;
            if (orgId is not null && !string.Equals(e.OrgId, orgId, StringComparison.Ordinal)) continue;
            result.Add(new EngineEvent { Sequence = e.Sequence, OrgId = e.OrgId, RunId = e.RunId, TaskId = e.TaskId, Type = e.Type, DataJson = e.DataJson, CreatedAt = e.CreatedAt });
        }

        return result;
    }

    // Retention deletes a run's events: they are marked, not moved, so sequences stay where reads expect them.
    public void RemoveRuns(HashSet<Guid> runIds)
    {
        if (runIds.Count == 0) return;
        for (var i = 0; i < _count; i++)
        {
            ref var e = ref _entries[(_start + i) % _entries.Length];
            if (!e.Removed && runIds.Contains(e.RunId)) e = e with { Removed = true, DataJson = null };
        }
    }

    /// <summary>Events held (not removed), and when the oldest was written.</summary>
    public (long Count, DateTimeOffset? OldestAt) Growth()
    {
        long count = 0;
        DateTimeOffset? oldest = null;
        for (var i = 0; i < _count; i++)
        {
            ref readonly var e = ref _entries[(_start + i) % _entries.Length];
            if (e.Removed) continue;
            count++;
            oldest ??= e.CreatedAt;
        }

        return (count, oldest);
    }

    private void Grow()
    {
        var grown = new Entry[(int)Math.Min(capacity, (long)_entries.Length * 2)];
        for (var i = 0; i < _count; i++) grown[i] = _entries[(_start + i) % _entries.Length];
        _entries = grown;
        _start = 0;
    }

    private readonly record struct Entry(long Sequence, string OrgId, Guid RunId, Guid? TaskId, string Type, string? DataJson, DateTimeOffset CreatedAt, bool Removed = false);
}
