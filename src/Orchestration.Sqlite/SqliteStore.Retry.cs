using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Retry of one failed task (RetryTaskAsync): TaskRetryRules plans it, this applies it in one write transaction.
public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public Task<RunCommandStatus> RetryTaskAsync(RetryTaskParams retry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retry);
        return WriteAsync(tx =>
        {
            var run = tx.Run(retry.OrgId, retry.RunId);
            if (run is null || !ClientRules.FamilyMatches(run.Family, retry.Family)) return RunCommandStatus.NotFound;
            var tasks = tx.Db.Query(SqliteSql.TasksOfRun, TaskRow.Read, run.Id);
            var target = tasks.FirstOrDefault(t => t.Id == retry.TaskId);
            if (target is null) return RunCommandStatus.NotFound;
            if (target.Status != TaskRunStatus.Failed || !TaskRetryRules.MayRetryIn(run.Kind, run.Status)) return RunCommandStatus.InvalidState;

            var now = tx.Now;
            var earlierAttempts = target.Attempt;
            var byId = tasks.ToDictionary(t => t.Id);
            var plan = TaskRetryRules.Plan(tasks.Select(t => t.ToTaskRun()).ToList(), target.ToTaskRun());
            foreach (var reset in plan.Reset)
            {
                var t = byId[reset.Id];
                Reset(tx, t, now);
                ChangeUnfinished(run, +1);
                if (plan.RemainingDependencies(reset) is { } remaining)
                {
                    t.RemainingDependencies = remaining;
                    if (remaining == 0 && t.Enqueue) MakeQueued(tx, t);
                }

                SaveTask(tx, t);
            }

            foreach (var (waiting, listings) in plan.Rewaiting)
            {
                var t = byId[waiting.Id];
                t.RemainingDependencies += listings;
                SaveTask(tx, t);
            }

            if (run.Status == RunStatus.Failed)
            {
                run.DeadlineAt = run.DeadlineAt is { } d ? now + (d - run.CreatedAt) : null;
                run.DeadlineArmed = run.DeadlineAt is not null;
                run.Status = run.StartedAt is null ? RunStatus.Pending : RunStatus.Running;
                run.ErrorJson = null;
                run.CompletedAt = null;
                run.UpdatedAt = now;
                run.Dirty = true;
            }

            AddEvent(tx, run, target.Id, EventTypes.TaskRetried, $$"""{"attempts":{{earlierAttempts}}}""");
            RerouteIfWaiting(tx, run);
            tx.WakeWork = true;
            return RunCommandStatus.Applied;
        }, cancellationToken);
    }
}
