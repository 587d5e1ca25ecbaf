namespace Orchestration.Domain;

/// <summary>One unit of work in a run.</summary>
public sealed record TaskRun
{
    /// <summary>Identifier (UUID v7).</summary>
    public required Guid Id { get; init; }
    /// <summary>Owning org (always the run's).</summary>
    public required string OrgId { get; init; }
    /// <summary>The run this task belongs to.</summary>
    public required Guid RunId { get; init; }
    /// <summary>Name, unique within the run; dependencies refer to it.</summary>
    public required string Name { get; init; }
    /// <summary>Stable handler key, e.g. <c>resize</c> or <c>exec</c>.</summary>
    public required string Type { get; init; }
    /// <summary>Current status.</summary>
    public required TaskRunStatus Status { get; init; }
    /// <summary>Higher runs first; ties go to the older task.</summary>
    public int Priority { get; init; }
    /// <summary>Input as JSON text.</summary>
    public string? InputJson { get; init; }
    /// <summary>Output as JSON text.</summary>
    public string? OutputJson { get; init; }
    /// <summary>Error as JSON text (<c>{"message": ...}</c> when the engine wrote it).</summary>
    public string? ErrorJson { get; init; }
    /// <summary>Free-form metadata as JSON text.</summary>
    public string? MetadataJson { get; init; }
    /// <summary>Names of tasks in the same run that must complete first.</summary>
    public IReadOnlyList<string> Dependencies { get; init; } = [];
    /// <summary>Routes by outcome into this task (see <see cref="TaskRoute"/>); empty for a task that only has dependencies.</summary>
    public IReadOnlyList<TaskRoute> Routes { get; init; } = [];
    /// <summary>A failure of this task does not fail its run: dependents and <see cref="RouteOn.Completed"/> routes proceed as if it completed.</summary>
    public bool AllowFailure { get; init; }
    /// <summary>The exit code its handler reported with its last completion or failure (the <c>exec</c> type: the process's).</summary>
    public int? ExitCode { get; init; }
    /// <summary>The review of an approval task (<see cref="TaskTypes.Approval"/>) once reviewed.</summary>
    public TaskReview? Review { get; init; }
    /// <summary>The task that added this one, if any.</summary>
    public Guid? ParentTaskId { get; init; }
    /// <summary>Retry policy; <see cref="RetryPolicy.MaxAttempts"/> bounds <see cref="Attempt"/>.</summary>
    public required RetryPolicy RetryPolicy { get; init; }
    /// <summary>How long one attempt may run; null for no limit.</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>Number of attempts started so far (0 before the first claim).</summary>
    public int Attempt { get; init; }
    /// <summary>Not claimable before this time (retry delay).</summary>
    public DateTimeOffset? NotBefore { get; init; }
    /// <summary>The current lease's fencing token while running.</summary>
    public Guid? LeaseToken { get; init; }
    /// <summary>When the current lease ends unless heartbeated.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    /// <summary>The executor that holds or last held the task.</summary>
    public string? ExecutorId { get; init; }
    /// <summary>An external queue's job id (Foreman's <c>queueJobId</c>).</summary>
    public string? QueueJobId { get; init; }
    /// <summary>Creation time.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Last change.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>When the task became ready.</summary>
    public DateTimeOffset? QueuedAt { get; init; }
    /// <summary>When the latest attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When the task reached a terminal status.</summary>
    public DateTimeOffset? CompletedAt { get; init; }
}
