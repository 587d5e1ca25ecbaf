namespace Orchestration.Domain;

/// <summary>One execution: a Foreman run, a FlowCtl workflow, a Formicary job request or a queued binary job.</summary>
public sealed record Run
{
    /// <summary>Identifier (UUID v7, so ids sort by creation time).</summary>
    public required Guid Id { get; init; }
    /// <summary>The org that owns the run; every query is scoped by it.</summary>
    public required string OrgId { get; init; }
    /// <summary>Managed (status follows tasks) or open (status set by clients).</summary>
    public required RunKind Kind { get; init; }
    /// <summary>Current status.</summary>
    public required RunStatus Status { get; init; }
    /// <summary>Which API family created the run (<c>foreman</c>, <c>jobs</c>, <c>workflows</c>, <c>formicary</c>, <c>embedded</c>), so each family lists only its own.</summary>
    public required string Family { get; init; }
    /// <summary>Optional display name.</summary>
    public string? Name { get; init; }
    /// <summary>Input as JSON text.</summary>
    public string? InputJson { get; init; }
    /// <summary>Output as JSON text (set by clients on open runs).</summary>
    public string? OutputJson { get; init; }
    /// <summary>Error as JSON text: <c>{"message": ...}</c> when the engine failed the run, anything a client sent otherwise.</summary>
    public string? ErrorJson { get; init; }
    /// <summary>Free-form metadata as JSON text.</summary>
    public string? MetadataJson { get; init; }
    /// <summary>The caller's idempotency key, unique per org.</summary>
    public string? IdempotencyKey { get; init; }
    /// <summary>At most this many of the run's tasks run at once; null for no limit.</summary>
    public int? MaxConcurrency { get; init; }
    /// <summary>When a managed run that has not finished by then fails with "timed out"; null for never.</summary>
    public DateTimeOffset? DeadlineAt { get; init; }
    /// <summary>The instant before which none of the run's tasks is claimable, when the run was scheduled; null otherwise.</summary>
    public DateTimeOffset? ScheduledAt { get; init; }
    /// <summary>Creation time.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Last change.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>When the run became running.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When the run reached a terminal status.</summary>
    public DateTimeOffset? CompletedAt { get; init; }
    /// <summary>Number of tasks, counted when read.</summary>
    public int TotalTasks { get; init; }
    /// <summary>Number of completed tasks, counted when read.</summary>
    public int CompletedTasks { get; init; }
    /// <summary>Number of failed tasks, counted when read.</summary>
    public int FailedTasks { get; init; }
}
