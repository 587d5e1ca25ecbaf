using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Client commands on runs and tasks: add a task, cancel, restart, update an open run or a task. One transaction each on the single writer.
public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public Task<AddTaskResult> AddTaskAsync(AddTaskParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var nt = parameters.Task;
            var run = tx.Run(parameters.OrgId, parameters.RunId);
            if (run is null || !ClientRules.FamilyMatches(run.Family, parameters.Family)) return new AddTaskResult(AddTaskStatus.RunNotFound, null);
            if (run.Status.IsTerminal()) return new AddTaskResult(AddTaskStatus.RunFinished, null);
            if (tx.Db.Scalar(SqliteSql.TaskStatusByName, run.Id, nt.Name) is not null) return new AddTaskResult(AddTaskStatus.DuplicateName, null, nt.Name);
            var depStatuses = new List<TaskRunStatus>(nt.Dependencies.Count);
            foreach (var dep in nt.Dependencies)
            {
                if (tx.Db.Scalar(SqliteSql.TaskStatusByName, run.Id, dep) is not string s) return new AddTaskResult(AddTaskStatus.UnknownDependency, null, dep);
                depStatuses.Add(StatusNames.ParseTaskStatus(s));
            }

            if (nt.ParentTaskId is { } parent
                && !string.Equals(tx.Db.Scalar(SqliteSql.RunIdOfTask, parent) as string, run.Id.ToString("D"), StringComparison.Ordinal))
                return new AddTaskResult(AddTaskStatus.ParentNotFound, null, parent.ToString());

            if (nt.Dependencies.Count > 0) run.MayHaveDependents = true;
            if (depStatuses.Any(s => s is TaskRunStatus.Failed or TaskRunStatus.Skipped or TaskRunStatus.Cancelled))
            {
                InsertTask(tx, run, nt, TaskRunStatus.Skipped, 0, null, tx.Now);
                AddEvent(tx, run, nt.Id, EventTypes.TaskSkipped, null);
            }
            else
            {
                var remaining = depStatuses.Count(s => s != TaskRunStatus.Completed);
                var queued = remaining == 0 && nt.Enqueue;
                InsertTask(tx, run, nt, queued ? NewRun.ReadyStatus(nt.Type) : TaskRunStatus.Pending, remaining, queued ? tx.Now : null, null);
                ChangeUnfinished(run, +1);
                tx.WakeWork |= queued;
            }

            return new AddTaskResult(AddTaskStatus.Added, LoadTask(tx, nt.Id)!.ToTaskRun());
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> CancelRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var run = tx.Run(orgId, runId);
            if (run is null) return RunCommandStatus.NotFound;
            if (run.Status.IsTerminal()) return RunCommandStatus.InvalidState;
            tx.WakeCancelled |= CancelUnfinishedTasks(tx, run);
            run.Status = RunStatus.Cancelled;
            run.CompletedAt = tx.Now;
            run.UpdatedAt = tx.Now;
            run.DeadlineArmed = false;
            run.Dirty = true;
            AddEvent(tx, run, null, EventTypes.RunCancelled, null);
            return RunCommandStatus.Applied;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> RestartRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) =>
        RestartAsync(orgId, runId, fromStart: false, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> RerunRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) =>
        RestartAsync(orgId, runId, fromStart: true, cancellationToken);

    // A restart resets what did not succeed in a failed or cancelled run; a rerun (fromStart) resets every task of a
    // completed one. The rest is the same: dependencies and routes decide again what is ready.
    private Task<RunCommandStatus> RestartAsync(string orgId, Guid runId, bool fromStart, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var run = tx.Run(orgId, runId);
            if (run is null) return RunCommandStatus.NotFound;
            if (fromStart ? run.Status != RunStatus.Completed : run.Status is not (RunStatus.Failed or RunStatus.Cancelled)) return RunCommandStatus.InvalidState;
            var now = tx.Now;
            var tasks = tx.Db.Query(SqliteSql.TasksOfRun, TaskRow.Read, run.Id);
            var changed = new HashSet<TaskRow>();
            foreach (var t in tasks)
            {
                if (!fromStart && t.Status is not (TaskRunStatus.Failed or TaskRunStatus.Cancelled or TaskRunStatus.Skipped)) continue;
                Reset(tx, t, now);
                changed.Add(t);
                ChangeUnfinished(run, +1);
            }

            var byName = tasks.ToDictionary(t => t.Name, StringComparer.Ordinal);
            foreach (var t in tasks)
            {
                if (t.Status != TaskRunStatus.Pending) continue;
                if (t.RoutesJson is not null)
                {
                    // Decided below, once the reset rows are written.
                    changed.Add(t);
                    continue;
                }

                t.RemainingDependencies = t.Dependencies.Count(d => byName[d].Status != TaskRunStatus.Completed);
                if (t.RemainingDependencies == 0 && t.Enqueue) MakeQueued(tx, t);
                changed.Add(t);
            }

            foreach (var t in tasks)
            {
                if (changed.Contains(t)) SaveTask(tx, t);
            }

            run.DeadlineAt = run.DeadlineAt is { } d ? now + (d - run.CreatedAt) : null;
            run.DeadlineArmed = run.DeadlineAt is not null;
            run.Status = RunStatus.Pending;
            run.ErrorJson = null;
            run.CompletedAt = null;
            run.UpdatedAt = now;
            run.Dirty = true;
            AddEvent(tx, run, null, EventTypes.RunRestarted, null);
            RerouteIfWaiting(tx, run);
            FinalizeIfDone(tx, run);
            tx.WakeWork = true;
            return RunCommandStatus.Applied;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> UpdateOpenRunAsync(UpdateRunParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var run = tx.Run(parameters.OrgId, parameters.RunId);
            if (run is null || !ClientRules.FamilyMatches(run.Family, parameters.Family)) return RunCommandStatus.NotFound;
            if (parameters.Status is { } wanted && !ClientRules.MayChangeRunStatus(run.Kind, run.Status, wanted)) return RunCommandStatus.InvalidState;
            var now = tx.Now;
            run.OutputJson = parameters.OutputJson ?? run.OutputJson;
            run.ErrorJson = parameters.ErrorJson ?? run.ErrorJson;
            run.MetadataJson = parameters.MetadataJson ?? run.MetadataJson;
            run.UpdatedAt = now;
            run.Dirty = true;
            if (parameters.Status is { } status && status != run.Status)
            {
                run.Status = status;
                run.StartedAt = status == RunStatus.Running ? run.StartedAt ?? now : run.StartedAt;
                run.CompletedAt = status.IsTerminal() ? now : null;
                if (status.IsTerminal()) tx.WakeCancelled |= CancelUnfinishedTasks(tx, run);
                AddEvent(tx, run, null, EventTypes.ForRunStatus(status), null);
            }

            return RunCommandStatus.Applied;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> UpdateTaskByClientAsync(UpdateTaskParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var t = LoadTask(tx, parameters.TaskId);
            if (t is null || !string.Equals(t.OrgId, parameters.OrgId, StringComparison.Ordinal)) return RunCommandStatus.NotFound;
            var run = tx.Run(t.RunId)!;
            if (!ClientRules.FamilyMatches(run.Family, parameters.Family)) return RunCommandStatus.NotFound;
            if (parameters.Status is { } wanted && !ClientRules.MayChangeTaskStatus(run.Kind, t.Status, wanted)) return RunCommandStatus.InvalidState;
            var now = tx.Now;
            t.OutputJson = parameters.OutputJson ?? t.OutputJson;
            t.ErrorJson = parameters.ErrorJson ?? t.ErrorJson;
            t.MetadataJson = parameters.MetadataJson ?? t.MetadataJson;
            t.QueueJobId = parameters.QueueJobId ?? t.QueueJobId;
            t.UpdatedAt = now;

            var previous = t.Status;
            if (parameters.Status is not { } status || status == previous)
            {
                SaveTask(tx, t);
                return RunCommandStatus.Applied;
            }

            if (t.HoldsLease)
            {
                var outcome = status == TaskRunStatus.Completed ? AttemptOutcomes.Completed : status.IsTerminal() ? status.ToWire() : AttemptOutcomes.Released;
                EndAttempt(tx, t, outcome, null);
            }

            t.Status = status;
            t.LeaseExpiresAt = null;
            t.NotBefore = null;
            t.QueuedAt = status == TaskRunStatus.Queued ? now : t.QueuedAt;
            t.StartedAt = status == TaskRunStatus.Running ? now : t.StartedAt;
            t.CompletedAt = status.IsTerminal() ? now : null;
            SaveTask(tx, t);
            if (previous.IsTerminal() && !status.IsTerminal()) ChangeUnfinished(run, +1);
            if (!previous.IsTerminal() && status.IsTerminal()) ChangeUnfinished(run, -1);
            if (status is TaskRunStatus.Queued or TaskRunStatus.Retrying) tx.WakeWork = true;

            AddEvent(tx, run, t.Id, EventTypes.ForTaskStatus(status), $$"""{"status":"{{status.ToWire()}}"}""");
            if (status == TaskRunStatus.Completed) tx.WakeWork |= PromoteDependents(tx, run, t);
            if (status == TaskRunStatus.Failed) SkipDependents(tx, run, t);
            FinalizeIfDone(tx, run);
            return RunCommandStatus.Applied;
        }, cancellationToken);

    // A task as a restart, a rerun or a retry leaves it: pending with a fresh attempt budget, nothing of its last
    // attempt on it (its attempt rows and events are kept).
    private static void Reset(WriteTx tx, TaskRow t, DateTimeOffset now)
    {
        t.Status = TaskRunStatus.Pending;
        t.Attempt = 0;
        t.OutputJson = null;
        t.ErrorJson = null;
        SetExitCode(tx, t, null);
        t.NotBefore = null;
        t.LeaseToken = null;
        t.LeaseExpiresAt = null;
        t.QueuedAt = null;
        t.StartedAt = null;
        t.CompletedAt = null;
        t.UpdatedAt = now;
    }
}
