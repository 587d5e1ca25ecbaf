using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Mutable bookkeeping behind the immutable records the store hands out. All access happens under the store's lock.
internal sealed class RunState(Run run)
{
    public Run Run { get; set; } = run;
    public List<TaskState> Tasks { get; } = [];
    public Dictionary<string, TaskState> ByName { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, List<TaskState>> Dependents { get; } = new(StringComparer.Ordinal);
    public int Running { get; set; }
    public int Unfinished { get; set; }
    public List<RunDataEntry> Data { get; } = [];
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
