using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.InMemory;

// Manual approval: the review of a task awaiting it.
public sealed partial class InMemoryStore
{
    /// <inheritdoc />
    public Task<ReviewTaskResult> ReviewTaskAsync(ReviewTaskParams review, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(review);
        var wake = false;
        ReviewTaskResult result;
        lock (_gate)
        {
            if (!TryGetRun(review.OrgId, review.Family, review.RunId, out var run) || FindReviewed(run, review) is not { } ts)
                return Task.FromResult(new ReviewTaskResult(ReviewTaskStatus.NotFound, null));
            if (ts.Status != TaskRunStatus.AwaitingApproval)
                return Task.FromResult(new ReviewTaskResult(ReviewTaskStatus.NotAwaitingApproval, ts.Task));

            var now = _time.GetUtcNow();
            var record = new TaskReview(review.Approved, review.Reviewer, now, review.Comments);
            run.Unfinished--;
            if (review.Approved)
            {
                ts.Task = ts.Task with { Status = TaskRunStatus.Completed, Review = record, CompletedAt = now, UpdatedAt = now };
                AddEvent(run, ts.Id, EventTypes.TaskApproved, NewRun.ReviewEventJson(record), now);
                AddEvent(run, ts.Id, EventTypes.TaskCompleted, null, now);
                wake |= PromoteDependents(run, ts, now);
            }
            else
            {
                ts.Task = ts.Task with { Status = TaskRunStatus.Failed, Review = record, ErrorJson = NewRun.RejectionError(review), CompletedAt = now, UpdatedAt = now };
                AddEvent(run, ts.Id, EventTypes.TaskRejected, NewRun.ReviewEventJson(record), now);
                AddEvent(run, ts.Id, EventTypes.TaskFailed, null, now);
                if (ts.Task.AllowFailure) wake |= PromoteDependents(run, ts, now);
                else SkipDependents(run, ts, now);
            }

            if (run.Routed) wake |= Reroute(run, now);
            FinalizeIfDone(run, now);
            result = new ReviewTaskResult(ReviewTaskStatus.Applied, ts.Task);
        }

        if (wake) WorkAvailable.Notify();
        return Task.FromResult(result);
    }

    private static TaskState? FindReviewed(RunState run, ReviewTaskParams review)
    {
        if (review.TaskId is { } id) return run.Tasks.FirstOrDefault(t => t.Id == id);
        return review.TaskName is { } name && run.TryGetTask(name, out var byName) ? byName : null;
    }
}
