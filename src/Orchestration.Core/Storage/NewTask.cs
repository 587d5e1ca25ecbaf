using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>A task to insert, fully resolved by the engine (ids, defaults and policy already filled in).</summary>
public sealed record NewTask
{
    /// <summary>Id chosen by the engine (UUID v7).</summary>
    public required Guid Id { get; init; }
    /// <summary>Name, unique within the run.</summary>
    public required string Name { get; init; }
    /// <summary>Handler key.</summary>
    public required string Type { get; init; }
    /// <summary>Input as JSON text.</summary>
    public string? InputJson { get; init; }
    /// <summary>Metadata as JSON text.</summary>
    public string? MetadataJson { get; init; }
    /// <summary>Higher runs first.</summary>
    public int Priority { get; init; }
    /// <summary>Names of tasks of the same run this one waits for.</summary>
    public IReadOnlyList<string> Dependencies { get; init; } = [];
    /// <summary>Routes by outcome (see <see cref="TaskRoute"/>); a task has routes or dependencies, not both.</summary>
    public IReadOnlyList<TaskRoute> Routes { get; init; } = [];
    /// <summary>A failure does not fail the run; dependents and completed routes proceed as if the task completed.</summary>
    public bool AllowFailure { get; init; }
    /// <summary>Parent task, for child tasks.</summary>
    public Guid? ParentTaskId { get; init; }
    /// <summary>Retry policy (never null: the engine applies its default).</summary>
    public required RetryPolicy RetryPolicy { get; init; }
    /// <summary>Per-attempt timeout.</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>
    /// When true the task becomes <see cref="TaskRunStatus.Queued"/> (claimable) as soon as its dependencies are complete.
    /// When false it stays <see cref="TaskRunStatus.Pending"/> until a client moves it (Foreman tasks).
    /// </summary>
    public bool Enqueue { get; init; } = true;
    /// <summary>
    /// The concurrency key the engine resolved for this task, or null when no key limit applies. At most
    /// <see cref="LimitMaxRunning"/> tasks with the same key run at once, counted across every host sharing the store.
    /// </summary>
    public string? LimitKey { get; init; }
    /// <summary>
    /// The limit on running tasks in force for <see cref="LimitKey"/> when the task was enqueued; null when the key is
    /// limited only by its rate (<see cref="LimitMaxStarts"/>).
    /// </summary>
    public int? LimitMaxRunning { get; init; }
    /// <summary>
    /// At most this many tasks of <see cref="LimitKey"/> start per <see cref="LimitWindow"/> (fixed windows aligned to the
    /// Unix epoch), counted across every host; null for no rate limit. Set together with <see cref="LimitWindow"/>.
    /// </summary>
    public int? LimitMaxStarts { get; init; }
    /// <summary>The rate window of <see cref="LimitMaxStarts"/>, in whole milliseconds.</summary>
    public TimeSpan? LimitWindow { get; init; }
}
