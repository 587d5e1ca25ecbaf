using System.Globalization;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// The write side. Each public method is one transaction on the single writer (see WriteAsync).
public sealed partial class SqliteStore
{
    private static readonly string PrefixedTaskColumns = string.Join(", ", TaskRow.Columns.Split(", ").Select(c => "t." + c));

    /// <inheritdoc />
    public Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<CreateRunParams> runs, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<CreateRunResult>>(tx =>
        {
            var results = new CreateRunResult[runs.Count];
            var now = tx.Now;
            for (var i = 0; i < runs.Count; i++)
            {
                var p = runs[i];
                if (p.IdempotencyKey is not null && tx.Db.Scalar(Sql.RunIdByKey, p.OrgId, p.IdempotencyKey) is string existing)
                {
                    results[i] = new CreateRunResult(SnapshotRun(tx, Guid.ParseExact(existing, "D")), false);
                    continue;
                }

                var run = new RunRow
                {
                    Id = p.RunId,
                    OrgId = p.OrgId,
                    Kind = p.Kind,
                    Status = RunStatus.Pending,
                    Family = p.Family,
                    Name = p.Name,
                    InputJson = p.InputJson,
                    MetadataJson = p.MetadataJson,
                    IdempotencyKey = p.IdempotencyKey,
                    MaxConcurrency = p.MaxConcurrency,
                    DeadlineAt = p.Timeout is { } timeout ? now + timeout : null,
                    CreatedAt = now,
                    UpdatedAt = now,
                    Unfinished = p.Tasks.Count,
                };
                run.DeadlineArmed = run.DeadlineAt is not null;
                run.MayHaveDependents = HasEdges(p.Tasks);
                run.NoFailedTasks = true;
                tx.AddRun(run);
                AddEvent(tx, run, null, EventTypes.RunCreated, null);

                foreach (var nt in p.Tasks)
                {
                    var queued = nt.Dependencies.Count == 0 && nt.Enqueue;
                    InsertTask(tx, run, nt, queued ? TaskRunStatus.Queued : TaskRunStatus.Pending, nt.Dependencies.Count, queued ? now : null, null);
                    tx.WakeWork |= queued;
                }

                FinalizeIfDone(tx, run);
                results[i] = new CreateRunResult(run.ToRun(p.Tasks.Count, 0, 0), true);
            }

            return results;
        }, keepTasks: true, cancellationToken);

    private static bool HasEdges(IReadOnlyList<NewTask> tasks)
    {
        foreach (var t in tasks)
        {
            if (t.Dependencies.Count > 0) return true;
        }

        return false;
    }

    private static void InsertTask(WriteTx tx, RunRow run, NewTask nt, TaskRunStatus status, int remaining, DateTimeOffset? queuedAt, DateTimeOffset? completedAt) =>
        tx.AddTask(run, nt, status, remaining, queuedAt, completedAt);

    private static Run SnapshotRun(WriteTx tx, Guid runId)
    {
        var run = tx.Run(runId)!;
        var (total, completed, failed) = CountTasks(tx.Db, runId);
        return run.ToRun(total, completed, failed);
    }

    /// <inheritdoc />
    public Task<AddTaskResult> AddTaskAsync(AddTaskParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var nt = parameters.Task;
            var run = tx.Run(parameters.OrgId, parameters.RunId);
            if (run is null || !ClientRules.FamilyMatches(run.Family, parameters.Family)) return new AddTaskResult(AddTaskStatus.RunNotFound, null);
            if (run.Status.IsTerminal()) return new AddTaskResult(AddTaskStatus.RunFinished, null);
            const string statusByName = "SELECT status FROM tasks WHERE run_id = $run AND name = $name";
            if (tx.Db.Scalar(statusByName, run.Id, nt.Name) is not null) return new AddTaskResult(AddTaskStatus.DuplicateName, null, nt.Name);
            var depStatuses = new List<TaskRunStatus>(nt.Dependencies.Count);
            foreach (var dep in nt.Dependencies)
            {
                if (tx.Db.Scalar(statusByName, run.Id, dep) is not string s) return new AddTaskResult(AddTaskStatus.UnknownDependency, null, dep);
                depStatuses.Add(StatusNames.ParseTaskStatus(s));
            }

            if (nt.ParentTaskId is { } parent
                && !string.Equals(tx.Db.Scalar("SELECT run_id FROM tasks WHERE id = $id", parent) as string, run.Id.ToString("D"), StringComparison.Ordinal))
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
                InsertTask(tx, run, nt, queued ? TaskRunStatus.Queued : TaskRunStatus.Pending, remaining, queued ? tx.Now : null, null);
                ChangeUnfinished(run, +1);
                tx.WakeWork |= queued;
            }

            return new AddTaskResult(AddTaskStatus.Added, LoadTask(tx, nt.Id)!.ToTaskRun());
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskRun>> ClaimTasksAsync(ClaimTasksParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.Max <= 0) return Task.FromResult<IReadOnlyList<TaskRun>>([]);
        return WriteAsync<IReadOnlyList<TaskRun>>(tx =>
        {
            var now = tx.Now;
            if (tx.RawDb.Scalar(Sql.NextRetryAfter, now) is long nextRetry) tx.WakeRetryAt(SqliteValues.Time(nextRetry));
            var picked = PickClaimable(tx, parameters);
            var claimed = new List<TaskRun>(picked.Count);
            foreach (var t in picked)
            {
                var attempt = t.Attempt + 1;
                t.Status = TaskRunStatus.Running;
                t.Attempt = attempt;
                t.LeaseToken = GuidGenerator.NewRandom();
                t.LeaseExpiresAt = now + parameters.LeaseDuration;
                t.ExecutorId = parameters.ExecutorId;
                t.StartedAt = now;
                t.NotBefore = null;
                t.UpdatedAt = now;
                SaveTask(tx, t);
                tx.AddAttempt(t, attempt, parameters.ExecutorId, parameters.ExecutorIp);
                var run = tx.Run(t.RunId)!;
                if (run.Status == RunStatus.Pending)
                {
                    run.Status = RunStatus.Running;
                    run.StartedAt ??= now;
                    run.UpdatedAt = now;
                    run.Dirty = true;
                    AddEvent(tx, run, null, EventTypes.RunStarted, null);
                }

                AddEvent(tx, run, t.Id, EventTypes.TaskStarted, $$"""{"attempt":{{attempt}}}""");
                claimed.Add(t.ToTaskRun());
                tx.Cache.AddTask(t);
            }

            return claimed;
        }, keepTasks: true, cancellationToken);
    }

    // Statement texts of the claim by filter shape (number of types, org filter, family filter): building and hashing the
    // long column list on every claim costs more than the lookup.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int Types, bool Org, bool Family), (string Queued, string Retrying)> ClaimSql = new();

    private static (string Queued, string Retrying) ClaimStatements((int Types, bool Org, bool Family) shape)
    {
        var filter = new System.Text.StringBuilder();
        if (shape.Types > 0)
        {
            filter.Append(" AND t.type IN (");
            for (var i = 0; i < shape.Types; i++) filter.Append(i == 0 ? "" : ", ").Append("$t").Append(i.ToString(CultureInfo.InvariantCulture));
            filter.Append(')');
        }

        if (shape.Org) filter.Append(" AND t.org_id = $org");
        var join = "";
        if (shape.Family)
        {
            join = " JOIN runs r ON r.id = t.run_id";
            filter.Append(" AND r.family = $family");
        }

        // Two statements, merged here: as one UNION ALL with an outer ORDER BY, SQLite sorted full rows in a temporary
        // b-tree and the claim cost about ten times as much. Each statement walks its partial index in claim order.
        return (
            $"SELECT {PrefixedTaskColumns} FROM tasks t{join} WHERE t.status = 'queued'{filter} ORDER BY t.priority DESC, t.seq LIMIT $lim",
            $"SELECT {PrefixedTaskColumns} FROM tasks t{join} WHERE t.status = 'retrying'{filter} AND (t.not_before IS NULL OR t.not_before <= $now) " +
            "ORDER BY t.priority DESC, t.seq LIMIT $lim");
    }

    // Both inputs are in claim order; the first `limit` rows of their merge.
    private static List<TaskRow> MergeClaimOrder(List<TaskRow> a, List<TaskRow> b, int limit)
    {
        if (b.Count == 0) return a;
        var merged = new List<TaskRow>(Math.Min(limit, a.Count + b.Count));
        int i = 0, j = 0;
        while (merged.Count < limit && (i < a.Count || j < b.Count))
        {
            var takeA = j >= b.Count || (i < a.Count && (a[i].Priority > b[j].Priority || (a[i].Priority == b[j].Priority && a[i].Seq < b[j].Seq)));
            merged.Add(takeA ? a[i++] : b[j++]);
        }

        return merged;
    }

    // Claimable rows in claim order (priority, then age), filtered by the caller's scope and the concurrency limits.
    private static List<TaskRow> PickClaimable(WriteTx tx, ClaimTasksParams p)
    {
        var args = new List<object?>(p.Types.Count + 4);
        foreach (var type in p.Types) args.Add(type);
        if (p.OrgId is not null) args.Add(p.OrgId);
        if (p.Family is not null) args.Add(p.Family);
        var (queuedSql, retryingSql) = ClaimSql.GetOrAdd((p.Types.Count, p.OrgId is not null, p.Family is not null), ClaimStatements);

        var limited = p.TypeLimits is { Count: > 0 };
        var limit = p.Max;
        while (true)
        {
            // Nothing is buffered yet during the pick, so reads may go straight to the connection.
            args.Add(limit);
            var queued = tx.RawDb.Query(queuedSql, TaskRow.Read, [.. args]);
            args[^1] = tx.Now;
            args.Add(limit);
            var retrying = tx.RawDb.Query(retryingSql, TaskRow.Read, [.. args]);
            args.RemoveRange(args.Count - 2, 2);
            var candidates = MergeClaimOrder(queued, retrying, limit);
            tx.PreloadRuns(candidates);
            var picked = new List<TaskRow>(Math.Min(p.Max, candidates.Count));
            Dictionary<Guid, int>? perRun = null;
            Dictionary<string, int>? perType = null;
            foreach (var t in candidates)
            {
                var run = tx.Run(t.RunId)!;
                if (run.MaxConcurrency is { } maxRun)
                {
                    perRun ??= [];
                    if (!perRun.TryGetValue(run.Id, out var running))
                    {
                        running = Convert.ToInt32(tx.RawDb.Scalar(
                            "SELECT count(*) FROM tasks WHERE run_id = $run AND status = 'running' AND lease_expires_at IS NOT NULL", run.Id), CultureInfo.InvariantCulture);
                    }

                    if (running >= maxRun)
                    {
                        perRun[run.Id] = running;
                        limited = true;
                        continue;
                    }

                    perRun[run.Id] = running + 1;
                }

                if (p.TypeLimits is not null && p.TypeLimits.TryGetValue(t.Type, out var maxType))
                {
                    perType ??= new(StringComparer.Ordinal);
                    if (!perType.TryGetValue(t.Type, out var running))
                    {
                        running = Convert.ToInt32(tx.RawDb.Scalar(
                            "SELECT count(*) FROM tasks WHERE status = 'running' AND lease_expires_at IS NOT NULL AND type = $type", t.Type), CultureInfo.InvariantCulture);
                    }

                    if (running >= maxType)
                    {
                        perType[t.Type] = running;
                        continue;
                    }

                    perType[t.Type] = running + 1;
                }

                picked.Add(t);
                if (picked.Count == p.Max) return picked;
            }

            // Rows skipped for a limit may hide claimable rows further down: look again with a longer window.
            if (!limited || candidates.Count < limit) return picked;
            limit = checked(limit * 4);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<HeartbeatResult>> HeartbeatTasksAsync(HeartbeatTasksParams parameters, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<HeartbeatResult>>(tx =>
        {
            var results = new HeartbeatResult[parameters.Leases.Count];
            var ids = System.Text.Json.JsonSerializer.Serialize(parameters.Leases.Select(l => l.TaskId.ToString("D")).Distinct());
            var rows = tx.RawDb.Query("SELECT id, seq, status, lease_token FROM tasks WHERE id IN (SELECT value FROM json_each($ids))",
                    r => (Id: SqliteValues.Id(r, 0), Seq: r.GetInt64(1), Status: r.GetString(2), Token: SqliteValues.IdOrNull(r, 3)), ids)
                .ToDictionary(x => x.Id);
            var expires = tx.Now + parameters.LeaseDuration;
            for (var i = 0; i < results.Length; i++)
            {
                var lease = parameters.Leases[i];
                if (!rows.TryGetValue(lease.TaskId, out var row) || row.Token != lease.LeaseToken)
                {
                    results[i] = new HeartbeatResult(lease.TaskId, HeartbeatOutcome.Lost, null);
                }
                else if (row.Status == "running")
                {
                    tx.RawDb.ExecRow("UPDATE tasks SET lease_expires_at = $expires, updated_at = $now WHERE seq = $seq", expires, tx.Now, row.Seq);
                    results[i] = new HeartbeatResult(lease.TaskId, HeartbeatOutcome.Extended, expires);
                }
                else
                {
                    results[i] = new HeartbeatResult(lease.TaskId, row.Status == "cancelled" ? HeartbeatOutcome.Cancelled : HeartbeatOutcome.Lost, null);
                }
            }

            return results;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskWriteResult>> CompleteTasksAsync(IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<TaskWriteResult>>(tx =>
        {
            // The hot path: tasks, runs and dependents are read with one query each; rows are written in batches at commit.
            // Tasks this writer claimed are still in the cache as committed; only the others are read.
            var tasks = new Dictionary<Guid, TaskRow>(completions.Count);
            JsonRows? missing = null;
            HashSet<Guid>? asked = null;
            foreach (var c in completions)
            {
                var id = c.Lease.TaskId;
                if (tasks.ContainsKey(id)) continue;
                if (tx.Cache.Tasks.TryGetValue(id, out var cached)) tasks[id] = cached;
                else if ((asked ??= []).Add(id)) (missing ??= new JsonRows()).Value(id);
            }

            if (missing is not null)
            {
                foreach (var t in tx.RawDb.Query(BulkSql.TasksByIds, TaskRow.Read, missing.Build())) tasks[t.Id] = t;
            }

            tx.PreloadRuns(tasks.Values);
            var dependents = LoadDependents(tx, tasks.Values.Where(t => t.Status == TaskRunStatus.Running && tx.Run(t.RunId)!.MayHaveDependents));
            var done = new List<(RunRow Run, int EventPosition)>();
            var doneRuns = new HashSet<RunRow>();
            var results = new TaskWriteResult[completions.Count];
            for (var i = 0; i < results.Length; i++)
            {
                var c = completions[i];
                if (!tasks.TryGetValue(c.Lease.TaskId, out var t) || t.Status != TaskRunStatus.Running || t.LeaseToken != c.Lease.LeaseToken)
                {
                    results[i] = new TaskWriteResult(c.Lease.TaskId, false, null);
                    continue;
                }

                var run = tx.Run(t.RunId)!;
                EndAttempt(tx, t, AttemptOutcomes.Completed, null);
                t.Status = TaskRunStatus.Completed;
                t.OutputJson = c.OutputJson;
                t.ErrorJson = null;
                t.CompletedAt = tx.Now;
                t.LeaseExpiresAt = null;
                t.UpdatedAt = tx.Now;
                SaveTask(tx, t);
                ChangeUnfinished(run, -1);
                AddEvent(tx, run, t.Id, EventTypes.TaskCompleted, null);
                if (dependents.TryGetValue((t.RunId, t.Name), out var list)) tx.WakeWork |= PromoteDependents(tx, tx.RawDb, list);
                if (IsDone(run) && doneRuns.Add(run)) done.Add((run, tx.EventCount));
                results[i] = new TaskWriteResult(t.Id, true, TaskRunStatus.Completed);
                tx.Cache.Tasks.Remove(t.Id);
            }

            FinalizeDeferred(tx, done);
            return results;
        }, keepTasks: true, cancellationToken);

    private static Dictionary<(Guid RunId, string Name), List<long>> LoadDependents(WriteTx tx, IEnumerable<TaskRow> tasks)
    {
        var rows = new JsonRows();
        foreach (var t in tasks) rows.Row().Add(t.RunId).Add(t.Name);
        var map = new Dictionary<(Guid, string), List<long>>();
        if (rows.Count == 0) return map;
        foreach (var (runId, name, seq) in tx.RawDb.Query(BulkSql.DependentsOf, r => (SqliteValues.Id(r, 0), r.GetString(1), r.GetInt64(2)), rows.Build()))
        {
            if (!map.TryGetValue((runId, name), out var list)) map[(runId, name)] = list = [];
            list.Add(seq);
        }

        return map;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskWriteResult>> FailTasksAsync(IReadOnlyList<TaskFailure> failures, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<TaskWriteResult>>(tx =>
        {
            var results = new TaskWriteResult[failures.Count];
            for (var i = 0; i < results.Length; i++)
            {
                var f = failures[i];
                var t = LoadLeased(tx, f.Lease);
                if (t is null)
                {
                    results[i] = new TaskWriteResult(f.Lease.TaskId, false, null);
                    continue;
                }

                EndAttempt(tx, t, AttemptOutcomes.Failed, JsonDefaults.ErrorMessage(f.ErrorJson));
                var status = FailAttempt(tx, t, f.ErrorJson, f.OutputJson, f.Retryable);
                results[i] = new TaskWriteResult(t.Id, true, status);
            }

            return results;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> ReleaseTasksAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var released = 0;
            foreach (var lease in leases)
            {
                var t = LoadLeased(tx, lease);
                if (t is null) continue;
                EndAttempt(tx, t, AttemptOutcomes.Released, null);
                t.LeaseToken = null;
                t.LeaseExpiresAt = null;
                MakeQueued(tx, t);
                SaveTask(tx, t);
                released++;
            }

            tx.WakeWork |= released > 0;
            return released;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> ReleaseExpiredLeasesAsync(int limit, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var expired = tx.Db.Query(
                $"SELECT {TaskRow.Columns} FROM tasks WHERE status = 'running' AND lease_expires_at <= $now ORDER BY lease_expires_at, seq LIMIT $limit",
                TaskRow.Read, tx.Now, limit);
            foreach (var t in expired)
            {
                EndAttempt(tx, t, AttemptOutcomes.LeaseExpired, "lease expired");
                FailAttempt(tx, t, JsonDefaults.ErrorJson("lease expired: the executor stopped heartbeating"), null, retryable: true);
            }

            return expired.Count;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> FailTimedOutRunsAsync(int limit, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var due = tx.Db.Query(
                "SELECT id FROM runs WHERE deadline_armed = 1 AND deadline_at <= $now AND status NOT IN ('completed', 'failed', 'cancelled') ORDER BY deadline_at, seq LIMIT $limit",
                r => SqliteValues.Id(r, 0), tx.Now, limit);
            foreach (var runId in due)
            {
                var run = tx.Run(runId)!;
                tx.WakeCancelled |= CancelUnfinishedTasks(tx, run);
                run.Status = RunStatus.Failed;
                run.ErrorJson = JsonDefaults.ErrorJson("run timed out");
                run.CompletedAt = tx.Now;
                run.UpdatedAt = tx.Now;
                run.DeadlineArmed = false;
                run.Dirty = true;
                AddEvent(tx, run, null, EventTypes.RunFailed, """{"reason":"timeout"}""");
            }

            return due.Count;
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
        WriteAsync(tx =>
        {
            var run = tx.Run(orgId, runId);
            if (run is null) return RunCommandStatus.NotFound;
            if (run.Status is not (RunStatus.Failed or RunStatus.Cancelled)) return RunCommandStatus.InvalidState;
            var now = tx.Now;
            var tasks = tx.Db.Query($"SELECT {TaskRow.Columns} FROM tasks WHERE run_id = $run ORDER BY seq", TaskRow.Read, run.Id);
            var changed = new HashSet<TaskRow>();
            foreach (var t in tasks)
            {
                if (t.Status is not (TaskRunStatus.Failed or TaskRunStatus.Cancelled or TaskRunStatus.Skipped)) continue;
                t.Status = TaskRunStatus.Pending;
                t.Attempt = 0;
                t.OutputJson = null;
                t.ErrorJson = null;
                t.NotBefore = null;
                t.LeaseToken = null;
                t.LeaseExpiresAt = null;
                t.QueuedAt = null;
                t.StartedAt = null;
                t.CompletedAt = null;
                t.UpdatedAt = now;
                changed.Add(t);
                ChangeUnfinished(run, +1);
            }

            var byName = tasks.ToDictionary(t => t.Name, StringComparer.Ordinal);
            foreach (var t in tasks)
            {
                if (t.Status != TaskRunStatus.Pending) continue;
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

    /// <inheritdoc />
    public Task<RunDataEntry?> PutRunDataAsync(PutRunDataParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            if (tx.Run(parameters.OrgId, parameters.RunId) is null) return null;
            var entry = parameters.ToEntry(tx.Now);
            tx.Db.Exec(
                "INSERT INTO run_data (id, org_id, run_id, task_id, key, value, tags, metadata, created_at, updated_at) " +
                "VALUES ($id, $org, $run, $task, $key, $value, $tags, $metadata, $created, $updated)",
                entry.Id, entry.OrgId, entry.RunId, entry.TaskId, entry.Key, entry.ValueJson, SqliteValues.ListToJsonAlways(entry.Tags), entry.MetadataJson, tx.Now, tx.Now);
            return (RunDataEntry?)entry;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            if (tx.Run(parameters.OrgId, parameters.RunId) is null) return 0;
            return tx.Db.Exec("DELETE FROM run_data WHERE run_id = $run AND (key = $key OR id = $id)", parameters.RunId, parameters.Key, parameters.EntryId);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            if (tx.Run(parameters.OrgId, parameters.RunId) is null) return null;
            var found = tx.Db.Query($"SELECT {RunDataRows.Columns} FROM run_data WHERE run_id = $run AND id = $id", RunDataRows.Read, parameters.RunId, parameters.EntryId);
            if (found.Count == 0) return null;
            var entry = found[0].Entry;
            var tags = parameters.Apply(entry.Tags);
            entry = entry with { Tags = tags, UpdatedAt = tx.Now };
            tx.Db.Exec("UPDATE run_data SET tags = $tags, updated_at = $now WHERE seq = $seq", SqliteValues.ListToJsonAlways(tags), tx.Now, found[0].Seq);
            return (RunDataEntry?)entry;
        }, cancellationToken);
}
