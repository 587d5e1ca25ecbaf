namespace Orchestration.Execution;

internal sealed partial class ExecutorRuntime
{
    // The claimed tasks not yet finished, as a list threaded through the entries themselves: adding and removing cost no
    // allocation (a concurrent dictionary paid a node per task), and the only reads (heartbeats, shutdown) walk it all.
    // An entry is keyed by itself, not its task id, so an attempt still unwinding after its lease was lost and a new
    // claim of the same task are two entries, both visible to heartbeats.
    private sealed class InFlightSet
    {
        private readonly Lock _gate = new();
        private InFlight? _head;
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add(InFlight entry)
        {
            lock (_gate)
            {
                entry.Next = _head;
                if (_head is not null) _head.Previous = entry;
                _head = entry;
                entry.Linked = true;
                _count++;
            }
        }

        public void Remove(InFlight entry)
        {
            lock (_gate)
            {
                if (!entry.Linked) return;
                if (entry.Previous is null) _head = entry.Next;
                else entry.Previous.Next = entry.Next;
                if (entry.Next is not null) entry.Next.Previous = entry.Previous;
                entry.Previous = entry.Next = null;
                entry.Linked = false;
                _count--;
            }
        }

        public List<InFlight> ToList()
        {
            lock (_gate)
            {
                var list = new List<InFlight>(_count);
                for (var e = _head; e is not null; e = e.Next) list.Add(e);
                return list;
            }
        }
    }
}
