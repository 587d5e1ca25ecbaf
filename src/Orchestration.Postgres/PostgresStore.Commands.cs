using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Client commands on runs and tasks. Each locks its run row first, like every outcome-changing write.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public Task<AddTaskResult> AddTaskAsync(AddTaskParams parameters, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
        {
            var nt = parameters.Task;
            var run = await LockRunAsync(tx, parameters.OrgId, parameters.RunId, ct);
            if (run is null || !ClientRules.FamilyMatches(run.Family, parameters.Family)) return new AddTaskResult(AddTaskStatus.RunNotFound, null);
            if (run.Status.IsTerminal()) return new AddTaskResult(AddTaskStatus.RunFinished, null);
            var names = nt.Dependencies.Append(nt.Name).ToArray();
            var existing = (await tx.ReadAsync(S(PostgresSql.TaskStatusesByName), new { run = run.Id, names },
                r => (Name: r.GetString(0), Status: StatusNames.ParseTaskStatus(r.GetString(1))), ct)).ToDictionary(x => x.Name, x => x.Status, StringComparer.Ordinal);
            if (existing.ContainsKey(nt.Name)) return new AddTaskResult(AddTaskStatus.DuplicateName, null, nt.Name);
            if (nt.Dependencies.FirstOrDefault(d => !existing.ContainsKey(d)) is { } missing) return new AddTaskResult(AddTaskStatus.UnknownDependency, null, missing);
            if (nt.ParentTaskId is { } parent
                && await tx.ScalarAsync<int>(S(PostgresSql.CountTaskInRun), new { parent, run = run.Id }, ct) == 0)
                return new AddTaskResult(AddTaskStatus.ParentNotFound, null, parent.ToString());

            var deps = nt.Dependencies.Select(d => existing[d]).ToList();
            string status;
            var remaining = 0;
            if (deps.Any(s => s is TaskRunStatus.Failed or TaskRunStatus.Skipped or TaskRunStatus.Cancelled)) status = "skipped";
            else
            {
                remaining = deps.Count(s => s != TaskRunStatus.Completed);
                status = remaining == 0 && nt.Enqueue ? NewRun.ReadyStatus(nt.Type).ToWire() : "pending";
            }

            var rows = await tx.ReadAsync(S(PostgresSql.InsertTaskSql.Replace("{task}", PostgresRows.TaskColumns, StringComparison.Ordinal)), new
            {
                id = nt.Id, run = run.Id, org = run.OrgId, name = nt.Name, type = nt.Type, status, priority = nt.Priority, input = nt.InputJson,
                meta = nt.MetadataJson, deps = nt.Dependencies.ToArray(), parent = nt.ParentTaskId, maxAttempts = nt.RetryPolicy.MaxAttempts,
                initial = nt.RetryPolicy.InitialDelay.Ticks, maxDelay = nt.RetryPolicy.MaxDelay.Ticks, factor = nt.RetryPolicy.BackoffFactor,
                jitter = nt.RetryPolicy.Jitter, timeout = nt.Timeout?.Ticks, enqueue = nt.Enqueue, remaining,
            }, PostgresRows.Task, ct);
            if (nt.LimitKey is not null) await SetLimitKeysAsync(tx, [nt], ct);
            if (status == "queued") tx.WorkAvailable = true;
            return new AddTaskResult(AddTaskStatus.Added, rows[0]);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> CancelRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
        {
            var run = await LockRunAsync(tx, orgId, runId, ct);
            if (run is null) return RunCommandStatus.NotFound;
            if (run.Status.IsTerminal()) return RunCommandStatus.InvalidState;
            var running = await tx.ScalarAsync<int>(S(PostgresSql.CancelUnfinishedSql), new { runs = new[] { runId } }, ct);
            if (running > 0) tx.TasksCancelled = true;
            await tx.ExecAsync(S(PostgresSql.CancelRun), new { runId }, ct);
            await AddEventAsync(tx, run.OrgId, runId, null, EventTypes.RunCancelled, null, ct);
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
        InTransactionAsync(async (tx, ct) =>
        {
            var run = await LockRunAsync(tx, orgId, runId, ct);
            if (run is null) return RunCommandStatus.NotFound;
            if (fromStart ? run.Status != RunStatus.Completed : run.Status is not (RunStatus.Failed or RunStatus.Cancelled)) return RunCommandStatus.InvalidState;
            await tx.ExecAsync(S(fromStart ? PostgresSql.RerunResetSql : PostgresSql.RestartResetSql), new { run = runId, org = run.OrgId }, ct);
            await RerouteRunsAsync(tx, [runId], ct);
            await FinalizeRunsAsync(tx, [runId], ct);
            tx.WorkAvailable = true;
            return RunCommandStatus.Applied;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> UpdateOpenRunAsync(UpdateRunParams parameters, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
        {
            var run = await LockRunAsync(tx, parameters.OrgId, parameters.RunId, ct);
            if (run is null || !ClientRules.FamilyMatches(run.Family, parameters.Family)) return RunCommandStatus.NotFound;
            if (parameters.Status is { } wanted && !ClientRules.MayChangeRunStatus(run.Kind, run.Status, wanted)) return RunCommandStatus.InvalidState;
            var now = await NowAsync(tx, ct);
            var r = run with
            {
                OutputJson = parameters.OutputJson ?? run.OutputJson,
                ErrorJson = parameters.ErrorJson ?? run.ErrorJson,
                MetadataJson = parameters.MetadataJson ?? run.MetadataJson,
            };
            string? eventType = null;
            if (parameters.Status is { } status && status != r.Status)
            {
                r = r with
                {
                    Status = status,
                    StartedAt = status == RunStatus.Running ? r.StartedAt ?? now : r.StartedAt,
                    CompletedAt = status.IsTerminal() ? now : null,
                };
                eventType = EventTypes.ForRunStatus(status);
                if (status.IsTerminal() && await tx.ScalarAsync<int>(S(PostgresSql.CancelUnfinishedSql), new { runs = new[] { r.Id } }, ct) > 0) tx.TasksCancelled = true;
            }

            await tx.ExecAsync(S(PostgresSql.UpdateRunSql), new
            {
                run = r.Id, output = r.OutputJson, error = r.ErrorJson, meta = r.MetadataJson, status = r.Status.ToWire(), startedAt = r.StartedAt, completedAt = r.CompletedAt,
            }, ct);
            if (eventType is not null) await AddEventAsync(tx, r.OrgId, r.Id, null, eventType, null, ct);
            return RunCommandStatus.Applied;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> UpdateTaskByClientAsync(UpdateTaskParams parameters, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
        {
            var runId = await tx.ScalarAsync<Guid?>(S(PostgresSql.RunIdOfTaskInOrg), new { id = parameters.TaskId, org = parameters.OrgId }, ct);
            if (runId is null) return RunCommandStatus.NotFound;
            var run = await LockRunAsync(tx, parameters.OrgId, runId.Value, ct);
            if (run is null || !ClientRules.FamilyMatches(run.Family, parameters.Family)) return RunCommandStatus.NotFound;
            var rows = await tx.ReadAsync(S(PostgresSql.LockTask), new { id = parameters.TaskId }, PostgresRows.Task, ct);
            var task = rows[0];
            if (parameters.Status is { } wanted && !ClientRules.MayChangeTaskStatus(run.Kind, task.Status, wanted)) return RunCommandStatus.InvalidState;
            var now = await NowAsync(tx, ct);
            var updated = task with
            {
                OutputJson = parameters.OutputJson ?? task.OutputJson,
                ErrorJson = parameters.ErrorJson ?? task.ErrorJson,
                MetadataJson = parameters.MetadataJson ?? task.MetadataJson,
                QueueJobId = parameters.QueueJobId ?? task.QueueJobId,
            };
            var previous = task.Status;
            var changed = parameters.Status is { } st && st != previous;
            if (changed)
            {
                var status = parameters.Status!.Value;
                updated = updated with
                {
                    Status = status,
                    LeaseExpiresAt = null,
                    NotBefore = null,
                    QueuedAt = status == TaskRunStatus.Queued ? now : task.QueuedAt,
                    StartedAt = status == TaskRunStatus.Running ? now : task.StartedAt,
                    CompletedAt = status.IsTerminal() ? now : null,
                };
            }

            await tx.ExecAsync(S(PostgresSql.UpdateTaskByClient), new
            {
                id = task.Id, output = updated.OutputJson, error = updated.ErrorJson, meta = updated.MetadataJson, queueJobId = updated.QueueJobId,
                status = updated.Status.ToWire(), leaseExpiresAt = updated.LeaseExpiresAt, notBefore = updated.NotBefore, queuedAt = updated.QueuedAt,
                startedAt = updated.StartedAt, completedAt = updated.CompletedAt,
            }, ct);
            if (!changed) return RunCommandStatus.Applied;

            var newStatus = updated.Status;
            if (previous == TaskRunStatus.Running)
            {
                var outcome = newStatus == TaskRunStatus.Completed ? AttemptOutcomes.Completed : newStatus.IsTerminal() ? newStatus.ToWire() : AttemptOutcomes.Released;
                await tx.ExecAsync(S(PostgresSql.EndAttempt),
                    new { outcome, id = task.Id, attempt = task.Attempt }, ct);
            }

            if (newStatus is TaskRunStatus.Queued or TaskRunStatus.Retrying) tx.WorkAvailable = true;
            await AddEventAsync(tx, run.OrgId, run.Id, task.Id, EventTypes.ForTaskStatus(newStatus), $$"""{"status":"{{newStatus.ToWire()}}"}""", ct);
            if (newStatus == TaskRunStatus.Completed && await PromoteDependentsAsync(tx, run.Id, task.Name, ct)) tx.WorkAvailable = true;
            if (newStatus == TaskRunStatus.Failed) await SkipDependentsAsync(tx, [run.Id], [task.Name], ct);
            await FinalizeRunsAsync(tx, [run.Id], ct);
            return RunCommandStatus.Applied;
        }, cancellationToken);

    private async Task<Run?> LockRunAsync(PgTx tx, string org, Guid run, CancellationToken ct)
    {
        var rows = await tx.ReadAsync(S(PostgresSql.LockRunSql.Replace("{run}", PostgresRows.RunColumns, StringComparison.Ordinal)), new { run, org }, PostgresRows.Run, ct);
        return rows.Count > 0 ? rows[0] : null;
    }

    private Task AddEventAsync(PgTx tx, string org, Guid run, Guid? task, string type, string? data, CancellationToken ct) =>
        tx.ExecAsync(S(PostgresSql.EventSql), new { org, run, task, type, data }, ct);

    // Npgsql reads timestamptz as a UTC DateTime, not a DateTimeOffset.
    private async Task<DateTimeOffset> NowAsync(PgTx tx, CancellationToken ct) =>
        _options.UseHostClock
            ? _time.GetUtcNow()
            : new DateTimeOffset(DateTime.SpecifyKind(await tx.ScalarAsync<DateTime>("SELECT now()", null, ct), DateTimeKind.Utc));
}
