using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Manual approval: the review of a task awaiting it (mirrors the reference store), under the run's lock.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public Task<ReviewTaskResult> ReviewTaskAsync(ReviewTaskParams review, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(review);
        return InTransactionAsync(async (tx, ct) =>
        {
            var run = await LockRunAsync(tx, review.OrgId, review.RunId, ct);
            if (run is null || !ClientRules.FamilyMatches(run.Family, review.Family)) return new ReviewTaskResult(ReviewTaskStatus.NotFound, null);
            var id = review.TaskId ?? await tx.ScalarAsync<Guid?>(S(PostgresSql.TaskIdByRunAndNameSql), new { run = run.Id, name = review.TaskName }, ct);
            if (id is null) return new ReviewTaskResult(ReviewTaskStatus.NotFound, null);
            var reviewed = await tx.ReadAsync(S(PostgresSql.ReviewTaskSql), new
            {
                approved = review.Approved,
                error = review.Approved ? null : NewRun.RejectionError(review),
                reviewer = review.Reviewer,
                comments = review.Comments,
                id = id.Value,
                run = run.Id,
            }, r => (Name: r.GetString(1), AllowFailure: r.GetBoolean(2)), ct);
            if (reviewed.Count == 0)
            {
                var current = (await tx.ReadAsync(S(PostgresSql.TaskInOrg), new { orgId = review.OrgId, taskId = id.Value }, PostgresRows.Task, ct)).FirstOrDefault();
                return current is null || current.RunId != run.Id
                    ? new ReviewTaskResult(ReviewTaskStatus.NotFound, null)
                    : new ReviewTaskResult(ReviewTaskStatus.NotAwaitingApproval, current);
            }

            var task = (await tx.ReadAsync(S(PostgresSql.TaskInOrg), new { orgId = review.OrgId, taskId = id.Value }, PostgresRows.Task, ct))[0];
            await AddEventAsync(tx, run.OrgId, run.Id, task.Id, review.Approved ? EventTypes.TaskApproved : EventTypes.TaskRejected, NewRun.ReviewEventJson(task.Review!), ct);
            await AddEventAsync(tx, run.OrgId, run.Id, task.Id, review.Approved ? EventTypes.TaskCompleted : EventTypes.TaskFailed, null, ct);
            var name = reviewed[0].Name;
            if (review.Approved || reviewed[0].AllowFailure)
            {
                if (await tx.ScalarAsync<int>(S(PostgresSql.PromoteSql), new { runs = new[] { run.Id }, names = new[] { name } }, ct) > 0) tx.WorkAvailable = true;
            }
            else
            {
                await SkipDependentsAsync(tx, [run.Id], [name], ct);
            }

            await RerouteRunsAsync(tx, [run.Id], ct);
            await FinalizeRunsAsync(tx, [run.Id], ct);
            return new ReviewTaskResult(ReviewTaskStatus.Applied, task);
        }, cancellationToken);
    }
}
