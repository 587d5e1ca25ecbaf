using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.InMemory;

// Outcomes of attempts: completions, failures, expired leases and run timeouts.
public sealed partial class InMemoryStore : IOrchestrationStore, IOrchestrationQueries, IIdentityStore, IDisposable
{
    /// <inheritdoc />
    public Task<IReadOnlyList<TaskWriteResult>> CompleteTasksAsync(IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken)
    {
        var results = new TaskWriteResult[completions.Count];
        var promoted = false;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            for (var i = 0; i < results.Length; i++)
            {
                var c = completions[i];
                if (!TryGetLeased(c.Lease, out var ts))
                {
                    results[i] = new TaskWriteResult(c.Lease.TaskId, false, null);
                    continue;
                }

                var run = _runs[ts.RunId];
                EndAttempt(ts, AttemptOutcomes.Completed, null, now);
                LeaveRunning(run, ts);
                ts.Complete(c.OutputJson, c.ExitCode, now);
                run.Unfinished--;
                AddEvent(run, ts.Id, EventTypes.TaskCompleted, null, now);
                promoted |= PromoteDependents(run, ts, now);
                if (run.Routed) promoted |= Reroute(run, now);
                if (!promoted) promoted = FreedSlotWaitedFor(run);
                FinalizeIfDone(run, now);
                results[i] = new TaskWriteResult(ts.Id, true, TaskRunStatus.Completed);
            }
            promoted |= TakeKeySlotFreed();
        }

        if (promoted) WorkAvailable.Notify();
        return Task.FromResult<IReadOnlyList<TaskWriteResult>>(results);
    }

    // Called when a task left running. If its run is held back by its concurrency limit, a queued task that no claim
    // took while the slot was busy is claimable now, and without a signal it would wait for the next safety poll.
    private static bool FreedSlotWaitedFor(RunState run)
    {
        if (run.MaxConcurrency is null) return false;
        foreach (var t in run.Tasks)
        {
            if (t.Status == TaskRunStatus.Queued) return true;
        }

        return false;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskWriteResult>> FailTasksAsync(IReadOnlyList<TaskFailure> failures, CancellationToken cancellationToken)
    {
        var results = new TaskWriteResult[failures.Count];
        var wake = false;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            for (var i = 0; i < results.Length; i++)
            {
                var f = failures[i];
                if (!TryGetLeased(f.Lease, out var ts))
                {
                    results[i] = new TaskWriteResult(f.Lease.TaskId, false, null);
                    continue;
                }

                EndAttempt(ts, AttemptOutcomes.Failed, JsonDefaults.ErrorMessage(f.ErrorJson), now);
                var status = FailAttempt(ts, f.ErrorJson, f.OutputJson, f.Retryable, now, f.ExitCode);
                if (!wake && _runs.TryGetValue(ts.RunId, out var held)) wake = FreedSlotWaitedFor(held);
                wake |= TakePromotedByFailure();
                results[i] = new TaskWriteResult(ts.Id, true, status);
            }
            wake |= TakeKeySlotFreed();
        }

        if (wake) WorkAvailable.Notify();
        return Task.FromResult<IReadOnlyList<TaskWriteResult>>(results);
    }

    /// <inheritdoc />
    public Task<int> ReleaseExpiredLeasesAsync(int limit, CancellationToken cancellationToken)
    {
        var reaped = 0;
        var wake = false;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var expired = _running.Where(t => t.LeaseExpiresAt <= now).OrderBy(t => t.LeaseExpiresAt).Take(limit).ToList();
            foreach (var ts in expired)
            {
                EndAttempt(ts, AttemptOutcomes.LeaseExpired, "lease expired", now);
                FailAttempt(ts, JsonDefaults.ErrorJson("lease expired: the executor stopped heartbeating"), null, retryable: true, now);
                if (!wake && _runs.TryGetValue(ts.RunId, out var held)) wake = FreedSlotWaitedFor(held);
                wake |= TakePromotedByFailure();
                reaped++;
            }
            wake |= TakeKeySlotFreed();
        }

        if (wake) WorkAvailable.Notify();
        return Task.FromResult(reaped);
    }

    /// <inheritdoc />
    public Task<int> FailTimedOutRunsAsync(int limit, CancellationToken cancellationToken)
    {
        var count = 0;
        var cancelledRunning = false;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var due = _withDeadline.Where(r => r.DeadlineAt <= now && !r.Status.IsTerminal()).Take(limit).ToList();
            foreach (var run in due)
            {
                cancelledRunning |= CancelUnfinishedTasks(run, now);
                run.Run = run.Run with { Status = RunStatus.Failed, ErrorJson = JsonDefaults.ErrorJson("run timed out"), CompletedAt = now, UpdatedAt = now };
                _withDeadline.Remove(run);
                AddEvent(run, null, EventTypes.RunFailed, """{"reason":"timeout"}""", now);
                TrackFinished(run);
                count++;
            }
        }

        if (cancelledRunning) TasksCancelled.Notify();
        return Task.FromResult(count);
    }
}
