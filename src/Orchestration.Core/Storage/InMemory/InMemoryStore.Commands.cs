using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Client commands on runs and tasks: add a task, cancel, restart, update an open run or a task.
public sealed partial class InMemoryStore : IOrchestrationStore, IOrchestrationQueries, IIdentityStore, IDisposable
{
    /// <inheritdoc />
    public Task<AddTaskResult> AddTaskAsync(AddTaskParams parameters, CancellationToken cancellationToken)
    {
        AddTaskResult result;
        var queued = false;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var nt = parameters.Task;
            if (!TryGetRun(parameters.OrgId, parameters.Family, parameters.RunId, out var run)) result = new AddTaskResult(AddTaskStatus.RunNotFound, null);
            else if (run.Run.Status.IsTerminal()) result = new AddTaskResult(AddTaskStatus.RunFinished, null);
            else if (run.HasTask(nt.Name)) result = new AddTaskResult(AddTaskStatus.DuplicateName, null, nt.Name);
            else if (nt.Dependencies.FirstOrDefault(d => !run.HasTask(d)) is { } missing)
                result = new AddTaskResult(AddTaskStatus.UnknownDependency, null, missing);
            else if (nt.ParentTaskId is { } parent && (!_tasks.TryGetValue(parent, out var pt) || pt.Task.RunId != run.Run.Id))
                result = new AddTaskResult(AddTaskStatus.ParentNotFound, null, parent.ToString());
            else
            {
                var ts = InsertTask(run, nt, now, resolveAgainstExisting: true);
                queued = ts.Task.Status == TaskRunStatus.Queued;
                result = new AddTaskResult(AddTaskStatus.Added, ts.Task);
            }
        }

        if (queued) WorkAvailable.Notify();
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public Task<RunCommandStatus> CancelRunAsync(string orgId, Guid runId, CancellationToken cancellationToken)
    {
        bool cancelledRunning;
        lock (_gate)
        {
            if (!TryGetRun(orgId, runId, out var run)) return Task.FromResult(RunCommandStatus.NotFound);
            if (run.Run.Status.IsTerminal()) return Task.FromResult(RunCommandStatus.InvalidState);
            var now = _time.GetUtcNow();
            cancelledRunning = CancelUnfinishedTasks(run, now);
            run.Run = run.Run with { Status = RunStatus.Cancelled, CompletedAt = now, UpdatedAt = now };
            _withDeadline.Remove(run);
            AddEvent(run, null, EventTypes.RunCancelled, null, now);
            TrackFinished(run);
        }

        if (cancelledRunning) TasksCancelled.Notify();
        return Task.FromResult(RunCommandStatus.Applied);
    }

    /// <inheritdoc />
    public Task<RunCommandStatus> RestartRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) =>
        Task.FromResult(Restart(orgId, runId, fromStart: false));

    /// <inheritdoc />
    public Task<RunCommandStatus> RerunRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) =>
        Task.FromResult(Restart(orgId, runId, fromStart: true));

    // A restart resets what did not succeed in a failed or cancelled run; a rerun (fromStart) resets every task of a
    // completed one. The rest is the same: dependencies and routes decide again what is ready.
    private RunCommandStatus Restart(string orgId, Guid runId, bool fromStart)
    {
        lock (_gate)
        {
            if (!TryGetRun(orgId, runId, out var run)) return RunCommandStatus.NotFound;
            if (fromStart ? run.Run.Status != RunStatus.Completed : run.Run.Status is not (RunStatus.Failed or RunStatus.Cancelled)) return RunCommandStatus.InvalidState;
            var now = _time.GetUtcNow();
            foreach (var ts in run.Tasks)
            {
                if (!fromStart && ts.Task.Status is not (TaskRunStatus.Failed or TaskRunStatus.Cancelled or TaskRunStatus.Skipped)) continue;
                ts.Task = Reset(ts.Task, now);
                run.Unfinished++;
            }

            foreach (var ts in run.Tasks)
            {
                if (ts.Task.Status != TaskRunStatus.Pending || ts.Task.Routes.Count > 0) continue;
                ts.RemainingDependencies = ts.Task.Dependencies.Count(d => run.GetTask(d).Status != TaskRunStatus.Completed);
                if (ts.RemainingDependencies == 0 && ts.Enqueue) MakeQueued(ts, now);
            }

            var deadline = run.Run.DeadlineAt is { } d ? now + (d - run.Run.CreatedAt) : (DateTimeOffset?)null;
            run.Run = run.Run with { Status = RunStatus.Pending, ErrorJson = null, CompletedAt = null, DeadlineAt = deadline, UpdatedAt = now };
            if (deadline is not null) _withDeadline.Add(run);
            AddEvent(run, null, EventTypes.RunRestarted, null, now);
            // Routed tasks whose sources were kept (completed) are decided at once.
            if (run.Routed) Reroute(run, now);
            TrackFinished(run);
            FinalizeIfDone(run, now);
        }

        WorkAvailable.Notify();
        return RunCommandStatus.Applied;
    }

    /// <inheritdoc />
    public Task<RunCommandStatus> UpdateOpenRunAsync(UpdateRunParams parameters, CancellationToken cancellationToken)
    {
        var cancelledRunning = false;
        lock (_gate)
        {
            if (!TryGetRun(parameters.OrgId, parameters.Family, parameters.RunId, out var run)) return Task.FromResult(RunCommandStatus.NotFound);
            if (parameters.Status is { } wanted && !ClientRules.MayChangeRunStatus(run.Run.Kind, run.Run.Status, wanted))
                return Task.FromResult(RunCommandStatus.InvalidState);
            var now = _time.GetUtcNow();
            var r = run.Run with
            {
                OutputJson = parameters.OutputJson ?? run.Run.OutputJson,
                ErrorJson = parameters.ErrorJson ?? run.Run.ErrorJson,
                MetadataJson = parameters.MetadataJson ?? run.Run.MetadataJson,
                UpdatedAt = now,
            };
            if (parameters.Status is { } status && status != r.Status)
            {
                r = r with
                {
                    Status = status,
                    StartedAt = status == RunStatus.Running ? r.StartedAt ?? now : r.StartedAt,
                    CompletedAt = status.IsTerminal() ? now : null,
                };
                if (status.IsTerminal()) cancelledRunning = CancelUnfinishedTasks(run, now);
                AddEvent(r, null, EventTypes.ForRunStatus(status), null, now);
            }

            run.Run = r;
            TrackFinished(run);
        }

        if (cancelledRunning) TasksCancelled.Notify();
        return Task.FromResult(RunCommandStatus.Applied);
    }

    /// <inheritdoc />
    public Task<RunCommandStatus> UpdateTaskByClientAsync(UpdateTaskParams parameters, CancellationToken cancellationToken)
    {
        var wake = false;
        lock (_gate)
        {
            if (!_tasks.TryGetValue(parameters.TaskId, out var ts) || !TryGetRun(parameters.OrgId, parameters.Family, ts.Task.RunId, out var run))
                return Task.FromResult(RunCommandStatus.NotFound);
            if (parameters.Status is { } wanted && !ClientRules.MayChangeTaskStatus(run.Run.Kind, ts.Task.Status, wanted)) return Task.FromResult(RunCommandStatus.InvalidState);
            var now = _time.GetUtcNow();
            ts.Task = ts.Task with
            {
                OutputJson = parameters.OutputJson ?? ts.Task.OutputJson,
                ErrorJson = parameters.ErrorJson ?? ts.Task.ErrorJson,
                MetadataJson = parameters.MetadataJson ?? ts.Task.MetadataJson,
                QueueJobId = parameters.QueueJobId ?? ts.Task.QueueJobId,
                UpdatedAt = now,
            };

            var previous = ts.Task.Status;
            if (parameters.Status is { } status && status != previous)
            {
                RemoveReady(ts);
                _delayed.Remove(ts);
                if (_running.Contains(ts))
                {
                    EndAttempt(ts, status == TaskRunStatus.Completed ? AttemptOutcomes.Completed : status.IsTerminal() ? status.ToWire() : AttemptOutcomes.Released, null, now);
                    LeaveRunning(run, ts);
                }

                ts.Task = ts.Task with
                {
                    Status = status,
                    LeaseExpiresAt = null,
                    NotBefore = null,
                    QueuedAt = status == TaskRunStatus.Queued ? now : ts.Task.QueuedAt,
                    StartedAt = status == TaskRunStatus.Running ? now : ts.Task.StartedAt,
                    CompletedAt = status.IsTerminal() ? now : null,
                };
                if (previous.IsTerminal() && !status.IsTerminal()) run.Unfinished++;
                if (!previous.IsTerminal() && status.IsTerminal()) run.Unfinished--;
                if (status is TaskRunStatus.Queued or TaskRunStatus.Retrying)
                {
                    AddReady(ts);
                    wake = true;
                }

                AddEvent(run, ts.Task.Id, EventTypes.ForTaskStatus(status), $$"""{"status":"{{status.ToWire()}}"}""", now);
                if (status == TaskRunStatus.Completed) wake |= PromoteDependents(run, ts, now);
                if (status == TaskRunStatus.Failed) SkipDependents(run, ts, now);
                FinalizeIfDone(run, now);
            }
        }

        if (wake) WorkAvailable.Notify();
        return Task.FromResult(RunCommandStatus.Applied);
    }

    // A task as a restart, a rerun or a retry leaves it: pending with a fresh attempt budget, nothing of its last
    // attempt on it (its attempt history and events are kept).
    private static TaskRun Reset(TaskRun task, DateTimeOffset now) => task with
    {
        Status = TaskRunStatus.Pending,
        Attempt = 0,
        OutputJson = null,
        ErrorJson = null,
        ExitCode = null,
        NotBefore = null,
        LeaseToken = null,
        LeaseExpiresAt = null,
        QueuedAt = null,
        StartedAt = null,
        CompletedAt = null,
        UpdatedAt = now,
    };
}
