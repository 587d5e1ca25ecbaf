using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.InMemory;

// State transitions shared by the public operations. Every method here runs under _gate.
public sealed partial class InMemoryStore
{
    private TaskState InsertTask(RunState run, NewTask nt, DateTimeOffset now, bool resolveAgainstExisting, DateTimeOffset? scheduledFor = null)
    {
        // A task added to an existing run is resolved against its dependencies' states below.
        var queuedAtOnce = !resolveAgainstExisting && NewRun.QueuedAtOnce(nt);
        if (queuedAtOnce && scheduledFor is { } at)
        {
            // Born pending with its start time; PromoteDueRetries queues it when the time has come.
            var waiting = new TaskState(run.Id, run.OrgId, nt, TaskRunStatus.Pending, now, queuedAt: null, notBefore: at, ++_taskSequence)
            {
                LimitKey = nt.LimitKey,
                LimitMaxRunning = nt.LimitMaxRunning,
                LimitMaxStarts = nt.LimitMaxStarts,
                LimitWindow = nt.LimitWindow,
            };
            run.AddTask(waiting);
            _tasks.Add(nt.Id, waiting);
            run.Unfinished++;
            _delayed.Add(waiting);
            _retryWake.WakeAt(at);
            return waiting;
        }

        var ts = new TaskState(run.Id, run.OrgId, nt, queuedAtOnce ? NewRun.ReadyStatus(nt.Type) : TaskRunStatus.Pending, now, queuedAtOnce ? now : null, notBefore: null, ++_taskSequence)
        {
            LimitKey = nt.LimitKey,
            LimitMaxRunning = nt.LimitMaxRunning,
            LimitMaxStarts = nt.LimitMaxStarts,
            LimitWindow = nt.LimitWindow,
        };

        run.AddTask(ts);
        _tasks.Add(nt.Id, ts);
        if (nt.Routes.Count > 0) run.Routed = true;
        foreach (var dep in nt.Dependencies) run.AddDependent(dep, ts);

        run.Unfinished++;
        if (queuedAtOnce && ts.Status == TaskRunStatus.Queued) AddReady(ts);
        if (!resolveAgainstExisting) return ts;

        var deps = nt.Dependencies.Select(d => run.GetTask(d).Status).ToList();
        if (deps.Any(s => s is TaskRunStatus.Failed or TaskRunStatus.Skipped or TaskRunStatus.Cancelled))
        {
            ts.Task = ts.Task with { Status = TaskRunStatus.Skipped, CompletedAt = now };
            run.Unfinished--;
            AddEvent(run, ts.Task.Id, EventTypes.TaskSkipped, null, now);
            return ts;
        }

        ts.RemainingDependencies = deps.Count(s => s != TaskRunStatus.Completed);
        if (ts.RemainingDependencies == 0 && ts.Enqueue) MakeQueued(ts, now);
        return ts;
    }

    private void MakeQueued(TaskState ts, DateTimeOffset now)
    {
        if (NewRun.ReadyStatus(ts.Type) == TaskRunStatus.AwaitingApproval)
        {
            // Never claimable: it waits for ReviewTaskAsync.
            ts.Task = ts.Task with { Status = TaskRunStatus.AwaitingApproval, QueuedAt = now, UpdatedAt = now };
            return;
        }

        ts.Queue(now);
        AddReady(ts);
    }

    private void PromoteDueRetries(DateTimeOffset now)
    {
        while (_delayed.Count > 0)
        {
            var first = _delayed.Min!;
            if (first.NotBefore > now)
            {
                _retryWake.WakeAt(first.NotBefore!.Value);
                break;
            }

            _delayed.Remove(first);
            // A scheduled task waits pending (not retrying) and becomes ready at its start time (an approval task then
            // awaits its review instead of being queued).
            if (first.Status == TaskRunStatus.Pending) MakeQueued(first, now);
            else AddReady(first);
        }
    }

    private bool TryGetRun(string orgId, Guid runId, out RunState run)
    {
        if (_runs.TryGetValue(runId, out run!) && string.Equals(run.OrgId, orgId, StringComparison.Ordinal)) return true;
        run = null!;
        return false;
    }

    private bool TryGetRun(string orgId, string? family, Guid runId, out RunState run)
    {
        if (TryGetRun(orgId, runId, out run) && ClientRules.FamilyMatches(run.Family, family)) return true;
        run = null!;
        return false;
    }

    private bool TryGetLeased(TaskLease lease, out TaskState ts) =>
        _tasks.TryGetValue(lease.TaskId, out ts!) && ts.Status == TaskRunStatus.Running && ts.LeaseToken == lease.LeaseToken;

    private void EnterRunning(RunState run, TaskState ts)
    {
        _running.Add(ts);
        run.Running++;
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_runningByType, ts.Type, out _);
        count++;
        if (ts.LimitKey is not null) EnterKey(ts.LimitKey);
    }

    private void LeaveRunning(RunState run, TaskState ts)
    {
        if (!_running.Remove(ts)) return;
        run.Running--;
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_runningByType, ts.Type)--;
        if (ts.LimitKey is not null) LeaveKey(ts);
    }

    private static void EndAttempt(TaskState ts, string outcome, string? error, DateTimeOffset now) => ts.EndAttempt(outcome, error, now);

    // A failed attempt of a running task: retry when allowed, else fail for good. Returns the new status.
    private TaskRunStatus FailAttempt(TaskState ts, string? errorJson, string? outputJson, bool retryable, DateTimeOffset now, int? exitCode = null)
    {
        var run = _runs[ts.RunId];
        LeaveRunning(run, ts);
        if (retryable && ts.Task.Attempt < ts.Task.RetryPolicy.MaxAttempts)
        {
            var retryAt = now + ts.Task.RetryPolicy.DelayBefore(ts.Task.Attempt + 1, Random.Shared.NextDouble());
            ts.Task = ts.Task with
            {
                Status = TaskRunStatus.Retrying,
                ErrorJson = errorJson,
                OutputJson = outputJson ?? ts.Task.OutputJson,
                ExitCode = exitCode,
                NotBefore = retryAt,
                LeaseExpiresAt = null,
                UpdatedAt = now,
            };
            _delayed.Add(ts);
            _retryWake.WakeAt(retryAt);
            AddEvent(run, ts.Task.Id, EventTypes.TaskRetrying, $$"""{"attempt":{{ts.Task.Attempt}},"retry_at":"{{retryAt:O}}"}""", now);
            return TaskRunStatus.Retrying;
        }

        ts.Task = ts.Task with
        {
            Status = TaskRunStatus.Failed,
            ErrorJson = errorJson,
            OutputJson = outputJson ?? ts.Task.OutputJson,
            ExitCode = exitCode,
            LeaseExpiresAt = null,
            CompletedAt = now,
            UpdatedAt = now,
        };
        run.Unfinished--;
        AddEvent(run, ts.Task.Id, EventTypes.TaskFailed, null, now);
        // A failure the task allows counts as a completion for its dependents.
        if (ts.Task.AllowFailure) _promotedByFailure |= PromoteDependents(run, ts, now);
        else SkipDependents(run, ts, now);
        if (run.Routed) _promotedByFailure |= Reroute(run, now);
        FinalizeIfDone(run, now);
        return TaskRunStatus.Failed;
    }

    private bool PromoteDependents(RunState run, TaskState completed, DateTimeOffset now)
    {
        if (!run.TryGetDependents(completed.Name, out var dependents)) return false;
        var promoted = false;
        foreach (var d in dependents)
        {
            if (d.Status != TaskRunStatus.Pending) continue;
            d.RemainingDependencies--;
            if (d.RemainingDependencies == 0 && d.Enqueue)
            {
                MakeQueued(d, now);
                promoted = true;
            }
        }

        return promoted;
    }

    // Set under the gate when a failure queued work (allowed failure, routes): the caller signals idle workers.
    private bool _promotedByFailure;

    private bool TakePromotedByFailure()
    {
        var promoted = _promotedByFailure;
        _promotedByFailure = false;
        return promoted;
    }

    // Decides the run's pending routed tasks whose sources have all ended (RouteRules): queued when a route matched,
    // skipped (with their dependents) otherwise. A skip can end another routed task's sources, so it repeats until
    // nothing changes. Returns true when a task was queued.
    private bool Reroute(RunState run, DateTimeOffset now)
    {
        var queued = false;
        bool changed;
        do
        {
            changed = false;
            foreach (var ts in run.Tasks)
            {
                if (ts.Status != TaskRunStatus.Pending) continue;
                var routes = ts.Task.Routes;
                if (routes.Count == 0) continue;
                var decision = RouteRules.Decide(routes, name => run.TryGetTask(name, out var from)
                    ? new RouteSource(from.Status, from.Task.ExitCode, from.Task.AllowFailure)
                    : null);
                if (decision is null) continue;
                changed = true;
                if (decision.Value)
                {
                    MakeQueued(ts, now);
                    queued = true;
                    continue;
                }

                ts.Task = ts.Task with { Status = TaskRunStatus.Skipped, CompletedAt = now, UpdatedAt = now };
                run.Unfinished--;
                AddEvent(run, ts.Task.Id, EventTypes.TaskSkipped, RouteRules.NoRouteMatchedJson, now);
                SkipDependents(run, ts, now);
            }
        }
        while (changed);

        return queued;
    }

    private void SkipDependents(RunState run, TaskState failed, DateTimeOffset now)
    {
        var queue = new Queue<TaskState>();
        queue.Enqueue(failed);
        while (queue.Count > 0)
        {
            var t = queue.Dequeue();
            if (!run.TryGetDependents(t.Task.Name, out var dependents)) continue;
            foreach (var d in dependents)
            {
                if (d.Status is not (TaskRunStatus.Pending or TaskRunStatus.Queued)) continue;
                RemoveReady(d);
                d.Task = d.Task with { Status = TaskRunStatus.Skipped, CompletedAt = now, UpdatedAt = now };
                run.Unfinished--;
                AddEvent(run, d.Task.Id, EventTypes.TaskSkipped, null, now);
                queue.Enqueue(d);
            }
        }
    }

    // Cancels every unfinished task of a run; returns true when one of them was running (executors must be told).
    private bool CancelUnfinishedTasks(RunState run, DateTimeOffset now)
    {
        var anyRunning = false;
        foreach (var ts in run.Tasks)
        {
            if (ts.Status.IsTerminal()) continue;
            RemoveReady(ts);
            _delayed.Remove(ts);
            if (ts.Status == TaskRunStatus.Running)
            {
                anyRunning = true;
                EndAttempt(ts, AttemptOutcomes.Cancelled, null, now);
                LeaveRunning(run, ts);
            }

            // The lease token stays so the holder's next heartbeat reports Cancelled rather than Lost.
            ts.Task = ts.Task with { Status = TaskRunStatus.Cancelled, LeaseExpiresAt = null, CompletedAt = now, UpdatedAt = now };
            run.Unfinished--;
            AddEvent(run, ts.Task.Id, EventTypes.TaskCancelled, null, now);
        }

        return anyRunning;
    }

    private void FinalizeIfDone(RunState run, DateTimeOffset now)
    {
        if (run.Kind != RunKind.Managed || run.Unfinished > 0 || run.Status.IsTerminal()) return;
        TaskState? firstFailed = null;
        foreach (var t in run.Tasks)
        {
            if (t.Status is not (TaskRunStatus.Failed or TaskRunStatus.Cancelled) || !RouteRules.FailsRun(t.Status, t.Task.AllowFailure)) continue;
            firstFailed = t;
            break;
        }

        if (run.DeadlineAt is not null) _withDeadline.Remove(run);
        if (firstFailed is null)
        {
            run.Complete(now);
            AddEvent(run, null, EventTypes.RunCompleted, null, now);
            TrackFinished(run);
            return;
        }

        var message = $"task '{firstFailed.Task.Name}' {firstFailed.Task.Status.ToWire()}";
        run.Run = run.Run with { Status = RunStatus.Failed, ErrorJson = JsonDefaults.ErrorJson(message), CompletedAt = now, UpdatedAt = now };
        AddEvent(run, null, EventTypes.RunFailed, null, now);
        TrackFinished(run);
    }

    // Called wherever a run may have moved between unfinished and finished. A finished run joins the retention queue;
    // beyond the bound, the run that finished longest ago is forgotten. A restarted run leaves the count, and its
    // queue entry goes stale.
    private void TrackFinished(RunState run)
    {
        if (run.Status.IsTerminal())
        {
            if (run.FinishedSequence != 0) return;
            run.FinishedSequence = ++_finishSequence;
            _finished.Enqueue((run, run.FinishedSequence));
            _finishedCount++;
            while (_finishedCount > _maxFinishedRuns) EvictOldestFinished();
        }
        else if (run.FinishedSequence != 0)
        {
            run.FinishedSequence = 0;
            _finishedCount--;
            // Runs restarted over and over while under the bound would otherwise leave stale entries for good.
            if (_finished.Count > 2 * _finishedCount + 1024)
            {
                var live = _finished.Where(e => e.Run.FinishedSequence == e.Sequence).ToList();
                _finished.Clear();
                foreach (var e in live) _finished.Enqueue(e);
            }
        }
    }

    private void EvictOldestFinished()
    {
        while (_finished.TryDequeue(out var entry))
        {
            if (entry.Run.FinishedSequence != entry.Sequence) continue;
            Evict(entry.Run);
            _finishedCount--;
            return;
        }
    }

    private void Evict(RunState run)
    {
        _runs.Remove(run.Id);
        if (run.DeadlineAt is not null) _withDeadline.Remove(run);
        if (run.IdempotencyKey is { } key && _idempotency.TryGetValue((run.OrgId, key), out var id) && id == run.Id)
            _idempotency.Remove((run.OrgId, key));
        foreach (var ts in run.Tasks)
        {
            _tasks.Remove(ts.Id);
            // A finished run's tasks are all finished; a client may still have reopened one, and nothing may keep
            // pointing at a run that is gone.
            if (ts.Status.IsTerminal()) continue;
            RemoveReady(ts);
            _delayed.Remove(ts);
            LeaveRunning(run, ts);
        }
    }

    private void AddEvent(RunState run, Guid? taskId, string type, string? dataJson, DateTimeOffset now) =>
        AddEvent(run.OrgId, run.Id, taskId, type, dataJson, now);

    private void AddEvent(Run run, Guid? taskId, string type, string? dataJson, DateTimeOffset now) =>
        AddEvent(run.OrgId, run.Id, taskId, type, dataJson, now);

    private void AddEvent(string orgId, Guid runId, Guid? taskId, string type, string? dataJson, DateTimeOffset now) =>
        _events.Append(orgId, runId, taskId, type, dataJson, now);



    private static Run Snapshot(RunState run)
    {
        int completed = 0, failed = 0;
        foreach (var t in run.Tasks)
        {
            if (t.Status == TaskRunStatus.Completed) completed++;
            else if (t.Status == TaskRunStatus.Failed) failed++;
        }

        // A run created with its counts (every new run) is handed out as it is until they change.
        var record = run.Run;
        if (record.TotalTasks == run.Tasks.Count && record.CompletedTasks == completed && record.FailedTasks == failed) return record;
        return record with { TotalTasks = run.Tasks.Count, CompletedTasks = completed, FailedTasks = failed };
    }
}
