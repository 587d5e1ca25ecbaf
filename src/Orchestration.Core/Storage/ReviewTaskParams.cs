namespace Orchestration.Storage;

/// <summary>Parameters of <see cref="IOrchestrationStore.ReviewTaskAsync"/>: the review of a task awaiting approval.</summary>
public sealed record ReviewTaskParams
{
    /// <summary>The caller's org; another org's run is not found.</summary>
    public required string OrgId { get; init; }
    /// <summary>The caller's API family; a run of another family is not found. Null for any family.</summary>
    public string? Family { get; init; }
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }
    /// <summary>The task, by id; or leave null and give <see cref="TaskName"/>.</summary>
    public Guid? TaskId { get; init; }
    /// <summary>The task, by name within the run (Formicary names its task by type).</summary>
    public string? TaskName { get; init; }
    /// <summary>True approves (the task completes), false rejects (the task fails).</summary>
    public required bool Approved { get; init; }
    /// <summary>Who reviews; recorded on the task.</summary>
    public required string Reviewer { get; init; }
    /// <summary>Comments; the client requires them for a rejection.</summary>
    public string? Comments { get; init; }
}

/// <summary>Why a review did or did not apply.</summary>
public enum ReviewTaskStatus
{
    /// <summary>Recorded: the task completed (approved) or failed (rejected).</summary>
    Applied,
    /// <summary>No such run or task for the caller.</summary>
    NotFound,
    /// <summary>The task does not await approval (not yet ready, or already reviewed): nothing was written.</summary>
    NotAwaitingApproval,
}

/// <summary>Outcome of a review.</summary>
/// <param name="Status">Whether it applied.</param>
/// <param name="Task">The task after the review when applied; as found when it did not await approval.</param>
public sealed record ReviewTaskResult(ReviewTaskStatus Status, Domain.TaskRun? Task);
