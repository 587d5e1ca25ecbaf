using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Mutable bookkeeping behind the immutable records the store hands out. All access happens under the store's lock.
internal sealed class RunState(Run run)
{
    public Run Run { get; set; } = run;
    public List<TaskState> Tasks { get; } = [];
    public Dictionary<string, TaskState> ByName { get; } = new(StringComparer.Ordinal);
    public int Running { get; set; }
    public int Unfinished { get; set; }

    // Most runs never have dependents or run data; both collections are created on first use so that a store
    // holding many finished single-task runs does not hold two empty collections for each.
    private Dictionary<string, List<TaskState>>? _dependents;
    private List<RunDataEntry>? _data;

    public List<RunDataEntry> Data => _data ??= [];

    public void AddDependent(string dependency, TaskState dependent)
    {
        _dependents ??= new(StringComparer.Ordinal);
        if (!_dependents.TryGetValue(dependency, out var list)) _dependents[dependency] = list = [];
        list.Add(dependent);
    }

    public bool TryGetDependents(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out List<TaskState>? dependents)
    {
        dependents = null;
        return _dependents is not null && _dependents.TryGetValue(name, out dependents);
    }
}

internal sealed class TaskState(TaskRun task, long sequence, bool enqueue)
{
    public TaskRun Task { get; set; } = task;
    public long Sequence { get; } = sequence;
    public bool Enqueue { get; } = enqueue;
    public int RemainingDependencies { get; set; }
    public List<TaskAttempt> Attempts { get; } = [];
}

// Claim order: priority descending, then age (insertion sequence) ascending.
internal sealed class ReadyOrder : IComparer<TaskState>
{
    public static ReadyOrder Instance { get; } = new();

    public int Compare(TaskState? x, TaskState? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        var c = y!.Task.Priority.CompareTo(x!.Task.Priority);
        return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
    }
}

// Retry order: due time ascending, then sequence.
internal sealed class DueOrder : IComparer<TaskState>
{
    public static DueOrder Instance { get; } = new();

    public int Compare(TaskState? x, TaskState? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        var c = (x!.Task.NotBefore ?? DateTimeOffset.MinValue).CompareTo(y!.Task.NotBefore ?? DateTimeOffset.MinValue);
        return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
    }
}
