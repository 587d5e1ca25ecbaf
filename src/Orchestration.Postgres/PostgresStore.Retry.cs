using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Retry of one failed task (RetryTaskAsync): TaskRetryRules plans it over the run's locked tasks, this writes the plan
// in the same transaction.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public Task<RunCommandStatus> RetryTaskAsync(RetryTaskParams retry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retry);
        return InTransactionAsync(async (tx, ct) =>
        {
            var run = await LockRunAsync(tx, retry.OrgId, retry.RunId, ct);
            if (run is null || !ClientRules.FamilyMatches(run.Family, retry.Family)) return RunCommandStatus.NotFound;
            var rows = await tx.ReadAsync(S(PostgresRetrySql.LockTasksOfRun), new { run = run.Id }, r => (Task: PostgresRows.Task(r), Enqueue: r.GetBoolean(37)), ct);
            var target = rows.FirstOrDefault(x => x.Task.Id == retry.TaskId).Task;
            if (target is null) return RunCommandStatus.NotFound;
            if (target.Status != TaskRunStatus.Failed || !TaskRetryRules.MayRetryIn(run.Kind, run.Status)) return RunCommandStatus.InvalidState;

            var enqueue = rows.ToDictionary(x => x.Task.Id, x => x.Enqueue);
            var plan = TaskRetryRules.Plan(rows.Select(x => x.Task).ToList(), target);
            var remaining = plan.Reset.Select(t => plan.RemainingDependencies(t) ?? 0).ToArray();
            var ready = plan.Reset.Select(t => plan.RemainingDependencies(t) == 0 && enqueue[t.Id]).ToArray();
            await tx.ExecAsync(S(PostgresRetrySql.ResetSql), new { run = run.Id, ids = plan.Reset.Select(t => t.Id).ToArray(), remaining, ready }, ct);
            if (plan.Rewaiting.Count > 0)
            {
                await tx.ExecAsync(S(PostgresRetrySql.RewaitSql), new
                {
                    run = run.Id, ids = plan.Rewaiting.Select(w => w.Task.Id).ToArray(), listings = plan.Rewaiting.Select(w => w.Listings).ToArray(),
                }, ct);
            }

            if (run.Status == RunStatus.Failed) await tx.ExecAsync(S(PostgresRetrySql.ReopenFailedRunSql), new { run = run.Id }, ct);
            await AddEventAsync(tx, run.OrgId, run.Id, target.Id, EventTypes.TaskRetried, $$"""{"attempts":{{target.Attempt}}}""", ct);
            await RerouteRunsAsync(tx, [run.Id], ct);
            tx.WorkAvailable = true;
            return RunCommandStatus.Applied;
        }, cancellationToken);
    }
}
