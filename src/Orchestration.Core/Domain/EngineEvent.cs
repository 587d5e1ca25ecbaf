namespace Orchestration.Domain;

/// <summary>A recorded state change, written in the same transaction as the change itself.</summary>
public sealed record EngineEvent
{
    /// <summary>Strictly increasing per store; consumers resume after the last one they saw.</summary>
    public required long Sequence { get; init; }
    /// <summary>Owning org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }
    /// <summary>The task, for task events.</summary>
    public Guid? TaskId { get; init; }
    /// <summary>One of <see cref="EventTypes"/>.</summary>
    public required string Type { get; init; }
    /// <summary>Extra detail as JSON text (error message, attempt, status).</summary>
    public string? DataJson { get; init; }
    /// <summary>When it happened.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Values of <see cref="EngineEvent.Type"/>.</summary>
public static class EventTypes
{
#pragma warning disable CS1591 // The names say it all.
    public const string RunCreated = "run.created";
    public const string RunStarted = "run.started";
    public const string RunCompleted = "run.completed";
    public const string RunFailed = "run.failed";
    public const string RunCancelled = "run.cancelled";
    public const string RunRestarted = "run.restarted";
    public const string TaskCreated = "task.created";
    public const string TaskStarted = "task.started";
    public const string TaskCompleted = "task.completed";
    public const string TaskFailed = "task.failed";
    public const string TaskRetrying = "task.retrying";
    public const string TaskRetried = "task.retried";
    public const string TaskCancelled = "task.cancelled";
    public const string TaskSkipped = "task.skipped";
    public const string TaskUpdated = "task.updated";
    public const string TaskApproved = "task.approved";
    public const string TaskRejected = "task.rejected";
#pragma warning restore CS1591

    /// <summary>The event a client's change of a run to <paramref name="status"/> records.</summary>
    public static string ForRunStatus(RunStatus status) => status switch
    {
        RunStatus.Running => RunStarted,
        RunStatus.Completed => RunCompleted,
        RunStatus.Failed => RunFailed,
        RunStatus.Cancelled => RunCancelled,
        _ => RunCreated,
    };

    /// <summary>The event a client's change of a task to <paramref name="status"/> records.</summary>
    public static string ForTaskStatus(TaskRunStatus status) => status switch
    {
        TaskRunStatus.Running => TaskStarted,
        TaskRunStatus.Completed => TaskCompleted,
        TaskRunStatus.Failed => TaskFailed,
        TaskRunStatus.Cancelled => TaskCancelled,
        TaskRunStatus.Retrying => TaskRetrying,
        TaskRunStatus.Skipped => TaskSkipped,
        _ => TaskUpdated,
    };
}
