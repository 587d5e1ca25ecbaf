namespace Orchestration.Domain;

/// <summary>Built-in task types the engine itself treats specially.</summary>
public static class TaskTypes
{
    /// <summary>
    /// Manual approval: a task of this type is never claimed. When it becomes ready it goes to
    /// <see cref="TaskRunStatus.AwaitingApproval"/> and waits for a review (<c>IOrchestrationClient.ReviewTaskAsync</c>):
    /// approved, it completes; rejected, it fails.
    /// </summary>
    public const string Approval = "approval";
}

/// <summary>The review of a task that awaited approval.</summary>
/// <param name="Approved">True when approved (the task completed), false when rejected (it failed).</param>
/// <param name="Reviewer">Who reviewed it, as the caller named them.</param>
/// <param name="ReviewedAt">When.</param>
/// <param name="Comments">The reviewer's comments (required for a rejection).</param>
public sealed record TaskReview(bool Approved, string Reviewer, DateTimeOffset ReviewedAt, string? Comments);
