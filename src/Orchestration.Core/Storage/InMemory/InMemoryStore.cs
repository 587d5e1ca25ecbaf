using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.InMemory;

/// <summary>
/// The reference back end: every operation runs under one lock, so each is trivially atomic. Its behaviour is the
/// specification the SQL back ends are held to by the conformance suite. Nothing survives the process.
/// </summary>
public sealed partial class InMemoryStore : IOrchestrationStore, IOrchestrationQueries, IIdentityStore, IDisposable
{
    // Events are for streaming and webhooks; an embedded in-memory host keeps only the most recent ones.
    private const int MaxRetainedEvents = 100_000;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<Guid, RunState> _runs = [];
    private readonly Dictionary<Guid, TaskState> _tasks = [];
    private readonly Dictionary<(string Org, string Key), Guid> _idempotency = [];
    private readonly SortedSet<TaskState> _ready = new(ReadyOrder.Instance);
    private readonly SortedSet<TaskState> _delayed = new(DueOrder.Instance);
    private readonly HashSet<TaskState> _running = [];
    private readonly Dictionary<string, int> _runningByType = new(StringComparer.Ordinal);
    private readonly HashSet<RunState> _withDeadline = [];
    private readonly List<EngineEvent> _events = [];
    private readonly Dictionary<string, Org> _orgs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApiKeyRecord> _keys = new(StringComparer.Ordinal);
    private readonly DelayedWake _retryWake;
    private long _eventSequence;
    private long _taskSequence;

    /// <summary>Creates an empty store that reads time from <paramref name="timeProvider"/>.</summary>
    public InMemoryStore(TimeProvider timeProvider)
    {
        _time = timeProvider;
        _retryWake = new DelayedWake(WorkAvailable, timeProvider);
    }

    /// <inheritdoc />
    public StoreCapabilities Capabilities { get; } = new(SharedAcrossProcesses: false, DatabaseClock: false, Durable: false);

    /// <inheritdoc />
    public WorkSignal WorkAvailable { get; } = new();

    /// <inheritdoc />
    public WorkSignal TasksCancelled { get; } = new();

    /// <inheritdoc />
    public Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<CreateRunParams> runs, CancellationToken cancellationToken)
    {
        var results = new CreateRunResult[runs.Count];
        var anyQueued = false;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            for (var i = 0; i < runs.Count; i++)
            {
                var p = runs[i];
                if (p.IdempotencyKey is not null && _idempotency.TryGetValue((p.OrgId, p.IdempotencyKey), out var existing))
                {
                    results[i] = new CreateRunResult(Snapshot(_runs[existing]), false);
                    continue;
                }

                var run = new RunState(new Run
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
                    DeadlineAt = p.Timeout is { } t ? now + t : null,
                    CreatedAt = now,
                    UpdatedAt = now,
                });
                _runs.Add(run.Run.Id, run);
                if (p.IdempotencyKey is not null) _idempotency[(p.OrgId, p.IdempotencyKey)] = run.Run.Id;
                if (run.Run.DeadlineAt is not null) _withDeadline.Add(run);
                AddEvent(run.Run, null, EventTypes.RunCreated, null, now);

                foreach (var nt in p.Tasks)
                {
                    var ts = InsertTask(run, nt, now, resolveAgainstExisting: false);
                    ts.RemainingDependencies = nt.Dependencies.Count;
                    anyQueued |= ts.Task.Status == TaskRunStatus.Queued;
                }

                FinalizeIfDone(run, now);
                results[i] = new CreateRunResult(Snapshot(run), true);
            }
        }

        if (anyQueued) WorkAvailable.Notify();
        return Task.FromResult<IReadOnlyList<CreateRunResult>>(results);
    }

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
            else if (run.ByName.ContainsKey(nt.Name)) result = new AddTaskResult(AddTaskStatus.DuplicateName, null, nt.Name);
            else if (nt.Dependencies.FirstOrDefault(d => !run.ByName.ContainsKey(d)) is { } missing)
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
    public Task<IReadOnlyList<TaskRun>> ClaimTasksAsync(ClaimTasksParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.Max <= 0) return Task.FromResult<IReadOnlyList<TaskRun>>([]);
        var claimed = new List<TaskRun>(Math.Min(parameters.Max, 256));
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            PromoteDueRetries(now);
            if (_ready.Count == 0) return Task.FromResult<IReadOnlyList<TaskRun>>(claimed);

            var types = parameters.Types.Count > 0 ? parameters.Types as ISet<string> ?? new HashSet<string>(parameters.Types, StringComparer.Ordinal) : null;
            var picked = new List<TaskState>();
            Dictionary<Guid, int>? perRun = null;
            Dictionary<string, int>? perType = null;
            foreach (var ts in _ready)
            {
                var task = ts.Task;
                if (types is not null && !types.Contains(task.Type)) continue;
                if (parameters.OrgId is not null && !string.Equals(task.OrgId, parameters.OrgId, StringComparison.Ordinal)) continue;
                var run = _runs[task.RunId];
                if (parameters.Family is not null && !string.Equals(run.Run.Family, parameters.Family, StringComparison.Ordinal)) continue;
                if (run.Run.MaxConcurrency is { } maxRun)
                {
                    perRun ??= [];
                    var extra = perRun.GetValueOrDefault(run.Run.Id);
                    if (run.Running + extra >= maxRun) continue;
                    perRun[run.Run.Id] = extra + 1;
                }

                if (parameters.TypeLimits is not null && parameters.TypeLimits.TryGetValue(task.Type, out var maxType))
                {
                    perType ??= new(StringComparer.Ordinal);
                    var extra = perType.GetValueOrDefault(task.Type);
                    if (_runningByType.GetValueOrDefault(task.Type) + extra >= maxType) continue;
                    perType[task.Type] = extra + 1;
                }

                picked.Add(ts);
                if (picked.Count == parameters.Max) break;
            }

            foreach (var ts in picked)
            {
                _ready.Remove(ts);
                var run = _runs[ts.Task.RunId];
                var attempt = ts.Task.Attempt + 1;
                ts.Task = ts.Task with
                {
                    Status = TaskRunStatus.Running,
                    Attempt = attempt,
                    LeaseToken = GuidGenerator.NewRandom(),
                    LeaseExpiresAt = now + parameters.LeaseDuration,
                    ExecutorId = parameters.ExecutorId,
                    StartedAt = now,
                    NotBefore = null,
                    UpdatedAt = now,
                };
                ts.Attempts.Add(new TaskAttempt
                {
                    TaskId = ts.Task.Id,
                    Number = attempt,
                    ExecutorId = parameters.ExecutorId,
                    ExecutorIp = parameters.ExecutorIp,
                    StartedAt = now,
                });
                EnterRunning(run, ts);
                if (run.Run.Status == RunStatus.Pending)
                {
                    run.Run = run.Run with { Status = RunStatus.Running, StartedAt = run.Run.StartedAt ?? now, UpdatedAt = now };
                    AddEvent(run.Run, null, EventTypes.RunStarted, null, now);
                }

                AddEvent(run.Run, ts.Task.Id, EventTypes.TaskStarted, AttemptData(attempt), now);
                claimed.Add(ts.Task);
            }
        }

        return Task.FromResult<IReadOnlyList<TaskRun>>(claimed);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<HeartbeatResult>> HeartbeatTasksAsync(HeartbeatTasksParams parameters, CancellationToken cancellationToken)
    {
        var results = new HeartbeatResult[parameters.Leases.Count];
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            for (var i = 0; i < results.Length; i++)
            {
                var lease = parameters.Leases[i];
                if (!_tasks.TryGetValue(lease.TaskId, out var ts) || ts.Task.LeaseToken != lease.LeaseToken)
                {
                    results[i] = new HeartbeatResult(lease.TaskId, HeartbeatOutcome.Lost, null);
                }
                else if (ts.Task.Status == TaskRunStatus.Running)
                {
                    var expires = now + parameters.LeaseDuration;
                    ts.Task = ts.Task with { LeaseExpiresAt = expires, UpdatedAt = now };
                    results[i] = new HeartbeatResult(lease.TaskId, HeartbeatOutcome.Extended, expires);
                }
                else
                {
                    var outcome = ts.Task.Status == TaskRunStatus.Cancelled ? HeartbeatOutcome.Cancelled : HeartbeatOutcome.Lost;
                    results[i] = new HeartbeatResult(lease.TaskId, outcome, null);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<HeartbeatResult>>(results);
    }

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

                var run = _runs[ts.Task.RunId];
                EndAttempt(ts, AttemptOutcomes.Completed, null, now);
                LeaveRunning(run, ts);
                ts.Task = ts.Task with { Status = TaskRunStatus.Completed, OutputJson = c.OutputJson, ErrorJson = null, CompletedAt = now, LeaseExpiresAt = null, UpdatedAt = now };
                run.Unfinished--;
                AddEvent(run.Run, ts.Task.Id, EventTypes.TaskCompleted, null, now);
                promoted |= PromoteDependents(run, ts, now);
                FinalizeIfDone(run, now);
                results[i] = new TaskWriteResult(ts.Task.Id, true, TaskRunStatus.Completed);
            }
        }

        if (promoted) WorkAvailable.Notify();
        return Task.FromResult<IReadOnlyList<TaskWriteResult>>(results);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskWriteResult>> FailTasksAsync(IReadOnlyList<TaskFailure> failures, CancellationToken cancellationToken)
    {
        var results = new TaskWriteResult[failures.Count];
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
                var status = FailAttempt(ts, f.ErrorJson, f.OutputJson, f.Retryable, now);
                results[i] = new TaskWriteResult(ts.Task.Id, true, status);
            }
        }

        return Task.FromResult<IReadOnlyList<TaskWriteResult>>(results);
    }

    /// <inheritdoc />
    public Task<int> ReleaseTasksAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken)
    {
        var released = 0;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            foreach (var lease in leases)
            {
                if (!TryGetLeased(lease, out var ts)) continue;
                EndAttempt(ts, AttemptOutcomes.Released, null, now);
                LeaveRunning(_runs[ts.Task.RunId], ts);
                ts.Task = ts.Task with { LeaseToken = null, LeaseExpiresAt = null, UpdatedAt = now };
                MakeQueued(ts, now);
                released++;
            }
        }

        if (released > 0) WorkAvailable.Notify();
        return Task.FromResult(released);
    }

    /// <inheritdoc />
    public Task<int> ReleaseExpiredLeasesAsync(int limit, CancellationToken cancellationToken)
    {
        var reaped = 0;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var expired = _running.Where(t => t.Task.LeaseExpiresAt <= now).OrderBy(t => t.Task.LeaseExpiresAt).Take(limit).ToList();
            foreach (var ts in expired)
            {
                EndAttempt(ts, AttemptOutcomes.LeaseExpired, "lease expired", now);
                FailAttempt(ts, JsonDefaults.ErrorJson("lease expired: the executor stopped heartbeating"), null, retryable: true, now);
                reaped++;
            }
        }

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
            var due = _withDeadline.Where(r => r.Run.DeadlineAt <= now && !r.Run.Status.IsTerminal()).Take(limit).ToList();
            foreach (var run in due)
            {
                cancelledRunning |= CancelUnfinishedTasks(run, now);
                run.Run = run.Run with { Status = RunStatus.Failed, ErrorJson = JsonDefaults.ErrorJson("run timed out"), CompletedAt = now, UpdatedAt = now };
                _withDeadline.Remove(run);
                AddEvent(run.Run, null, EventTypes.RunFailed, """{"reason":"timeout"}""", now);
                count++;
            }
        }

        if (cancelledRunning) TasksCancelled.Notify();
        return Task.FromResult(count);
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
            AddEvent(run.Run, null, EventTypes.RunCancelled, null, now);
        }

        if (cancelledRunning) TasksCancelled.Notify();
        return Task.FromResult(RunCommandStatus.Applied);
    }

    /// <inheritdoc />
    public Task<RunCommandStatus> RestartRunAsync(string orgId, Guid runId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!TryGetRun(orgId, runId, out var run)) return Task.FromResult(RunCommandStatus.NotFound);
            if (run.Run.Status is not (RunStatus.Failed or RunStatus.Cancelled)) return Task.FromResult(RunCommandStatus.InvalidState);
            var now = _time.GetUtcNow();
            foreach (var ts in run.Tasks)
            {
                if (ts.Task.Status is not (TaskRunStatus.Failed or TaskRunStatus.Cancelled or TaskRunStatus.Skipped)) continue;
                ts.Task = ts.Task with
                {
                    Status = TaskRunStatus.Pending,
                    Attempt = 0,
                    OutputJson = null,
                    ErrorJson = null,
                    NotBefore = null,
                    LeaseToken = null,
                    LeaseExpiresAt = null,
                    QueuedAt = null,
                    StartedAt = null,
                    CompletedAt = null,
                    UpdatedAt = now,
                };
                run.Unfinished++;
            }

            foreach (var ts in run.Tasks)
            {
                if (ts.Task.Status != TaskRunStatus.Pending) continue;
                ts.RemainingDependencies = ts.Task.Dependencies.Count(d => run.ByName[d].Task.Status != TaskRunStatus.Completed);
                if (ts.RemainingDependencies == 0 && ts.Enqueue) MakeQueued(ts, now);
            }

            var deadline = run.Run.DeadlineAt is { } d ? now + (d - run.Run.CreatedAt) : (DateTimeOffset?)null;
            run.Run = run.Run with { Status = RunStatus.Pending, ErrorJson = null, CompletedAt = null, DeadlineAt = deadline, UpdatedAt = now };
            if (deadline is not null) _withDeadline.Add(run);
            AddEvent(run.Run, null, EventTypes.RunRestarted, null, now);
            FinalizeIfDone(run, now);
        }

        WorkAvailable.Notify();
        return Task.FromResult(RunCommandStatus.Applied);
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
                _ready.Remove(ts);
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
                    _ready.Add(ts);
                    wake = true;
                }

                AddEvent(run.Run, ts.Task.Id, EventTypes.ForTaskStatus(status), $$"""{"status":"{{status.ToWire()}}"}""", now);
                if (status == TaskRunStatus.Completed) wake |= PromoteDependents(run, ts, now);
                if (status == TaskRunStatus.Failed) SkipDependents(run, ts, now);
                FinalizeIfDone(run, now);
            }
        }

        if (wake) WorkAvailable.Notify();
        return Task.FromResult(RunCommandStatus.Applied);
    }

    /// <inheritdoc />
    public void Dispose() => _retryWake.Dispose();

    // The task.started payload; the first few attempts (nearly all of them) share one string each.
    private static readonly string[] AttemptPayloads = [.. Enumerable.Range(0, 8).Select(n => $$"""{"attempt":{{n}}}""")];

    private static string AttemptData(int attempt) =>
        attempt < AttemptPayloads.Length ? AttemptPayloads[attempt] : $$"""{"attempt":{{attempt}}}""";
}
