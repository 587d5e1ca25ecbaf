using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.InMemory;

// State transitions shared by the public operations. Every method here runs under _gate.
public sealed partial class InMemoryStore
{
    private TaskState InsertTask(RunState run, NewTask nt, DateTimeOffset now, bool resolveAgainstExisting)
    {
        // A task added to an existing run is resolved against its dependencies' states below.
        var queuedAtOnce = !resolveAgainstExisting && NewRun.QueuedAtOnce(nt);
        var ts = new TaskState(NewRun.Task(run.Run, nt, now, queuedAtOnce), ++_taskSequence, nt.Enqueue);

        run.Tasks.Add(ts);
        run.ByName.Add(nt.Name, ts);
        _tasks.Add(nt.Id, ts);
        foreach (var dep in nt.Dependencies) run.AddDependent(dep, ts);

        run.Unfinished++;
        if (queuedAtOnce) _ready.Add(ts);
        if (!resolveAgainstExisting) return ts;

        var deps = nt.Dependencies.Select(d => run.ByName[d].Task.Status).ToList();
        if (deps.Any(s => s is TaskRunStatus.Failed or TaskRunStatus.Skipped or TaskRunStatus.Cancelled))
        {
            ts.Task = ts.Task with { Status = TaskRunStatus.Skipped, CompletedAt = now };
            run.Unfinished--;
            AddEvent(run.Run, ts.Task.Id, EventTypes.TaskSkipped, null, now);
            return ts;
        }

        ts.RemainingDependencies = deps.Count(s => s != TaskRunStatus.Completed);
        if (ts.RemainingDependencies == 0 && ts.Enqueue) MakeQueued(ts, now);
        return ts;
    }

    private void MakeQueued(TaskState ts, DateTimeOffset now)
    {
        ts.Task = ts.Task with { Status = TaskRunStatus.Queued, QueuedAt = now, NotBefore = null, UpdatedAt = now };
        _ready.Add(ts);
    }

    private void PromoteDueRetries(DateTimeOffset now)
    {
        while (_delayed.Count > 0)
        {
            var first = _delayed.Min!;
            if (first.Task.NotBefore > now)
            {
                _retryWake.WakeAt(first.Task.NotBefore!.Value);
                break;
            }

            _delayed.Remove(first);
            _ready.Add(first);
        }
    }

    private bool TryGetRun(string orgId, Guid runId, out RunState run)
    {
        if (_runs.TryGetValue(runId, out run!) && string.Equals(run.Run.OrgId, orgId, StringComparison.Ordinal)) return true;
        run = null!;
        return false;
    }

    private bool TryGetRun(string orgId, string? family, Guid runId, out RunState run)
    {
        if (TryGetRun(orgId, runId, out run) && ClientRules.FamilyMatches(run.Run.Family, family)) return true;
        run = null!;
        return false;
    }

    private bool TryGetLeased(TaskLease lease, out TaskState ts) =>
        _tasks.TryGetValue(lease.TaskId, out ts!) && ts.Task.Status == TaskRunStatus.Running && ts.Task.LeaseToken == lease.LeaseToken;

    private void EnterRunning(RunState run, TaskState ts)
    {
        _running.Add(ts);
        run.Running++;
        _runningByType[ts.Task.Type] = _runningByType.GetValueOrDefault(ts.Task.Type) + 1;
    }

    private void LeaveRunning(RunState run, TaskState ts)
    {
        if (!_running.Remove(ts)) return;
        run.Running--;
        _runningByType[ts.Task.Type]--;
    }

    private static void EndAttempt(TaskState ts, string outcome, string? error, DateTimeOffset now)
    {
        if (ts.Attempts.Count == 0) return;
        var last = ts.Attempts[^1];
        if (last.EndedAt is not null) return;
        ts.Attempts[^1] = last with { EndedAt = now, Outcome = outcome, Error = error };
    }

    // A failed attempt of a running task: retry when allowed, else fail for good. Returns the new status.
    private TaskRunStatus FailAttempt(TaskState ts, string? errorJson, string? outputJson, bool retryable, DateTimeOffset now)
    {
        var run = _runs[ts.Task.RunId];
        LeaveRunning(run, ts);
        if (retryable && ts.Task.Attempt < ts.Task.RetryPolicy.MaxAttempts)
        {
            var retryAt = now + ts.Task.RetryPolicy.DelayBefore(ts.Task.Attempt + 1, Random.Shared.NextDouble());
            ts.Task = ts.Task with
            {
                Status = TaskRunStatus.Retrying,
                ErrorJson = errorJson,
                OutputJson = outputJson ?? ts.Task.OutputJson,
                NotBefore = retryAt,
                LeaseExpiresAt = null,
                UpdatedAt = now,
            };
            _delayed.Add(ts);
            _retryWake.WakeAt(retryAt);
            AddEvent(run.Run, ts.Task.Id, EventTypes.TaskRetrying, $$"""{"attempt":{{ts.Task.Attempt}},"retry_at":"{{retryAt:O}}"}""", now);
            return TaskRunStatus.Retrying;
        }

        ts.Task = ts.Task with
        {
            Status = TaskRunStatus.Failed,
            ErrorJson = errorJson,
            OutputJson = outputJson ?? ts.Task.OutputJson,
            LeaseExpiresAt = null,
            CompletedAt = now,
            UpdatedAt = now,
        };
        run.Unfinished--;
        AddEvent(run.Run, ts.Task.Id, EventTypes.TaskFailed, null, now);
        SkipDependents(run, ts, now);
        FinalizeIfDone(run, now);
        return TaskRunStatus.Failed;
    }

    private bool PromoteDependents(RunState run, TaskState completed, DateTimeOffset now)
    {
        if (!run.TryGetDependents(completed.Task.Name, out var dependents)) return false;
        var promoted = false;
        foreach (var d in dependents)
        {
            if (d.Task.Status != TaskRunStatus.Pending) continue;
            d.RemainingDependencies--;
            if (d.RemainingDependencies == 0 && d.Enqueue)
            {
                MakeQueued(d, now);
                promoted = true;
            }
        }

        return promoted;
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
                if (d.Task.Status is not (TaskRunStatus.Pending or TaskRunStatus.Queued)) continue;
                _ready.Remove(d);
                d.Task = d.Task with { Status = TaskRunStatus.Skipped, CompletedAt = now, UpdatedAt = now };
                run.Unfinished--;
                AddEvent(run.Run, d.Task.Id, EventTypes.TaskSkipped, null, now);
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
            if (ts.Task.Status.IsTerminal()) continue;
            _ready.Remove(ts);
            _delayed.Remove(ts);
            if (ts.Task.Status == TaskRunStatus.Running)
            {
                anyRunning = true;
                EndAttempt(ts, AttemptOutcomes.Cancelled, null, now);
                LeaveRunning(run, ts);
            }

            // The lease token stays so the holder's next heartbeat reports Cancelled rather than Lost.
            ts.Task = ts.Task with { Status = TaskRunStatus.Cancelled, LeaseExpiresAt = null, CompletedAt = now, UpdatedAt = now };
            run.Unfinished--;
            AddEvent(run.Run, ts.Task.Id, EventTypes.TaskCancelled, null, now);
        }

        return anyRunning;
    }

    private void FinalizeIfDone(RunState run, DateTimeOffset now)
    {
        if (run.Run.Kind != RunKind.Managed || run.Unfinished > 0 || run.Run.Status.IsTerminal()) return;
        TaskState? firstFailed = null;
        var anySkipped = false;
        foreach (var t in run.Tasks)
        {
            if (firstFailed is null && t.Task.Status is TaskRunStatus.Failed or TaskRunStatus.Cancelled) firstFailed = t;
            anySkipped |= t.Task.Status == TaskRunStatus.Skipped;
        }

        _withDeadline.Remove(run);
        if (firstFailed is null && !anySkipped)
        {
            run.Run = run.Run with { Status = RunStatus.Completed, CompletedAt = now, UpdatedAt = now, StartedAt = run.Run.StartedAt ?? now };
            AddEvent(run.Run, null, EventTypes.RunCompleted, null, now);
            return;
        }

        var message = firstFailed is not null ? $"task '{firstFailed.Task.Name}' {firstFailed.Task.Status.ToWire()}" : "tasks were skipped";
        run.Run = run.Run with { Status = RunStatus.Failed, ErrorJson = JsonDefaults.ErrorJson(message), CompletedAt = now, UpdatedAt = now };
        AddEvent(run.Run, null, EventTypes.RunFailed, null, now);
    }

    private void AddEvent(Run run, Guid? taskId, string type, string? dataJson, DateTimeOffset now)
    {
        if (_events.Count >= MaxRetainedEvents) _events.RemoveRange(0, MaxRetainedEvents / 10);
        _events.Add(new EngineEvent { Sequence = ++_eventSequence, OrgId = run.OrgId, RunId = run.Id, TaskId = taskId, Type = type, DataJson = dataJson, CreatedAt = now });
    }



    private static Run Snapshot(RunState run)
    {
        int completed = 0, failed = 0;
        foreach (var t in run.Tasks)
        {
            if (t.Task.Status == TaskRunStatus.Completed) completed++;
            else if (t.Task.Status == TaskRunStatus.Failed) failed++;
        }

        return run.Run with { TotalTasks = run.Tasks.Count, CompletedTasks = completed, FailedTasks = failed };
    }
}
