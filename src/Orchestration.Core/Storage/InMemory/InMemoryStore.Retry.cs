using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Retry of one failed task (RetryTaskAsync): TaskRetryRules plans it, this applies it under the gate.
public sealed partial class InMemoryStore
{
    /// <inheritdoc />
    public Task<RunCommandStatus> RetryTaskAsync(RetryTaskParams retry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retry);
        lock (_gate)
        {
            if (!TryGetRun(retry.OrgId, retry.Family, retry.RunId, out var run)
                || !_tasks.TryGetValue(retry.TaskId, out var target) || target.RunId != run.Id)
                return Task.FromResult(RunCommandStatus.NotFound);
            if (target.Status != TaskRunStatus.Failed || !TaskRetryRules.MayRetryIn(run.Kind, run.Status)) return Task.FromResult(RunCommandStatus.InvalidState);

            var now = _time.GetUtcNow();
            var earlierAttempts = target.Attempt;
            var plan = TaskRetryRules.Plan(run.Tasks.Select(t => t.Task).ToList(), target.Task);
            foreach (var t in plan.Reset)
            {
                var ts = _tasks[t.Id];
                ts.Task = Reset(ts.Task, now);
                run.Unfinished++;
                if (plan.RemainingDependencies(t) is not { } remaining) continue;
                ts.RemainingDependencies = remaining;
                if (remaining == 0 && ts.Enqueue) MakeQueued(ts, now);
            }

            foreach (var (t, listings) in plan.Rewaiting) _tasks[t.Id].RemainingDependencies += listings;

            if (run.Status == RunStatus.Failed)
            {
                var deadline = run.Run.DeadlineAt is { } d ? now + (d - run.Run.CreatedAt) : (DateTimeOffset?)null;
                run.Run = run.Run with
                {
                    Status = run.Run.StartedAt is null ? RunStatus.Pending : RunStatus.Running,
                    ErrorJson = null,
                    CompletedAt = null,
                    DeadlineAt = deadline,
                    UpdatedAt = now,
                };
                if (deadline is not null) _withDeadline.Add(run);
                TrackFinished(run);
            }

            AddEvent(run, target.Id, EventTypes.TaskRetried, $$"""{"attempts":{{earlierAttempts}}}""", now);
            if (run.Routed) Reroute(run, now);
        }

        WorkAvailable.Notify();
        return Task.FromResult(RunCommandStatus.Applied);
    }
}
