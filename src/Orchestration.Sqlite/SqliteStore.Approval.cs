using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Manual approval: the review of a task awaiting it (mirrors the reference store).
public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public Task<ReviewTaskResult> ReviewTaskAsync(ReviewTaskParams review, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(review);
        return WriteAsync(tx =>
        {
            var run = tx.Run(review.OrgId, review.RunId);
            if (run is null || !ClientRules.FamilyMatches(run.Family, review.Family)) return new ReviewTaskResult(ReviewTaskStatus.NotFound, null);
            var t = review.TaskId is { } id ? LoadTask(tx, id) : tx.Db.QuerySingle(SqliteSql.TaskByRunAndName, TaskRow.Read, run.Id, review.TaskName);
            if (t is null || t.RunId != run.Id) return new ReviewTaskResult(ReviewTaskStatus.NotFound, null);
            if (t.Status != TaskRunStatus.AwaitingApproval) return new ReviewTaskResult(ReviewTaskStatus.NotAwaitingApproval, t.ToTaskRun());

            var now = tx.Now;
            t.Review = new TaskReview(review.Approved, review.Reviewer, now, review.Comments);
            tx.RawDb.Exec(SqliteSql.SetReview, review.Reviewer, now, review.Approved, review.Comments, t.Seq);
            t.Status = review.Approved ? TaskRunStatus.Completed : TaskRunStatus.Failed;
            if (!review.Approved) t.ErrorJson = NewRun.RejectionError(review);
            t.CompletedAt = now;
            t.UpdatedAt = now;
            SaveTask(tx, t);
            ChangeUnfinished(run, -1);
            AddEvent(tx, run, t.Id, review.Approved ? EventTypes.TaskApproved : EventTypes.TaskRejected, NewRun.ReviewEventJson(t.Review));
            AddEvent(tx, run, t.Id, review.Approved ? EventTypes.TaskCompleted : EventTypes.TaskFailed, null);
            if (review.Approved || t.AllowFailure) tx.WakeWork |= PromoteDependents(tx, run, t);
            else SkipDependents(tx, run, t);
            RerouteIfWaiting(tx, run);
            FinalizeIfDone(tx, run);
            return new ReviewTaskResult(ReviewTaskStatus.Applied, t.ToTaskRun());
        }, cancellationToken);
    }
}
