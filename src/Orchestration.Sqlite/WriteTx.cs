using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

/// <summary>
/// State of one write transaction on the writer connection: the clock reading every timestamp of the operation uses,
/// the runs it touched, the writes it buffered, and the wake-ups to deliver only after COMMIT.
/// </summary>
/// <remarks>
/// Row writes (new runs and tasks, task and run updates, attempts, events) are buffered and written together through
/// compiled native statements, so an operation on many rows pays the statement overhead once, not per call site. <see cref="Db"/> flushes them first, so any statement issued through it sees every earlier write of the
/// operation; hot paths that know a statement is unaffected by the buffered writes use <see cref="RawDb"/> instead.
/// </remarks>
internal sealed class WriteTx(SqliteCommands db, DateTimeOffset now, RowCache cache)
{
    private readonly Dictionary<Guid, RunRow> _runs = [];
    private readonly List<RunRow> _newRuns = [];
    private readonly List<(RunRow Run, NewTask Task, TaskRunStatus Status, int Remaining, DateTimeOffset? QueuedAt, DateTimeOffset? CompletedAt)> _newTasks = [];
    private readonly Dictionary<long, TaskRow> _dirtyTasks = [];
    private readonly List<(Guid Task, int Number, string? Executor, string? Ip, DateTimeOffset? StartedAt, string Outcome, string? Error)> _endedAttempts = [];
    private readonly List<(RunRow Run, Guid? Task, string Type, string? Data)> _events = [];

    public SqliteCommands RawDb { get; } = db;

    /// <summary>Images kept across transactions (see <see cref="RowCache"/>).</summary>
    public RowCache Cache { get; } = cache;

    /// <summary>The connection, after every buffered write has been flushed.</summary>
    public SqliteCommands Db
    {
        get
        {
            FlushRows();
            return RawDb;
        }
    }

    public DateTimeOffset Now { get; } = now;
    public bool WakeWork { get; set; }
    public bool WakeCancelled { get; set; }
    public DateTimeOffset? RetryWakeAt { get; private set; }

    /// <summary>Events buffered so far; a deferred event can be inserted at an earlier position to keep the reference order.</summary>
    public int EventCount => _events.Count;

    // The key of a new task, its limit on running tasks and its rate (a second statement, only for tasks with a key).
    private void SetLimitKey(NewTask t) => RawDb.Statement(SqliteSql.SetLimitKeyWithRate).Bind(1, t.LimitKey).Bind(2, t.LimitMaxRunning).Bind(3, t.LimitMaxStarts)
        .Bind(4, t.LimitWindow is { } w ? (long)w.TotalMilliseconds : null).Bind(5, RawDb.LastInsertRowId).Exec();

    public void WakeRetryAt(DateTimeOffset at)
    {
        if (RetryWakeAt is null || at < RetryWakeAt) RetryWakeAt = at;
    }

    /// <summary>The run, from the cache or the database; null when it does not exist.</summary>
    public RunRow? Run(Guid runId)
    {
        if (_runs.TryGetValue(runId, out var run)) return run;
        if (Cache.Runs.TryGetValue(runId, out run))
        {
            _runs[runId] = run;
            return run;
        }

        // Runs are only ever changed through the cache, so the stored row is current for any run not in it.
        run = RawDb.QuerySingle(SqliteSql.RunById, RunRow.Read, runId);
        if (run is not null) Track(run);
        return run;
    }

    /// <summary>The run when it exists in <paramref name="orgId"/>; another org's run is reported as missing.</summary>
    public RunRow? Run(string orgId, Guid runId)
    {
        var run = Run(runId);
        return run is not null && string.Equals(run.OrgId, orgId, StringComparison.Ordinal) ? run : null;
    }

    /// <summary>Loads the runs of many tasks into the cache with one query.</summary>
    public void PreloadRuns(IEnumerable<TaskRow> tasks)
    {
        JsonRows? ids = null;
        HashSet<Guid>? asked = null;
        foreach (var t in tasks)
        {
            if (_runs.ContainsKey(t.RunId)) continue;
            if (Cache.Runs.TryGetValue(t.RunId, out var cached))
            {
                _runs[t.RunId] = cached;
                continue;
            }

            if (!(asked ??= []).Add(t.RunId)) continue;
            (ids ??= new JsonRows()).Value(t.RunId);
        }

        if (ids is null) return;
        foreach (var run in RawDb.Query(BulkSql.RunsByIds, RunRow.Read, ids.Build())) Track(run);
    }

    private void Track(RunRow run)
    {
        _runs[run.Id] = run;
        Cache.AddRun(run);
    }

    public void AddRun(RunRow run)
    {
        Track(run);
        _newRuns.Add(run);
    }

    public void AddTask(RunRow run, NewTask task, TaskRunStatus status, int remaining, DateTimeOffset? queuedAt, DateTimeOffset? completedAt)
    {
        if (IsFailure(status)) run.NoFailedTasks = false;
        _newTasks.Add((run, task, status, remaining, queuedAt, completedAt));
    }

    private static bool IsFailure(TaskRunStatus status) => status is TaskRunStatus.Failed or TaskRunStatus.Cancelled or TaskRunStatus.Skipped;

    /// <summary>Records that a task of the run became failed, cancelled or skipped (see <see cref="RunRow.NoFailedTasks"/>).</summary>
    public void TaskFailedIn(Guid runId)
    {
        if (_runs.TryGetValue(runId, out var run)) run.NoFailedTasks = false;
        if (Cache.Runs.TryGetValue(runId, out run)) run.NoFailedTasks = false;
    }

    public void SaveTask(TaskRow task)
    {
        if (IsFailure(task.Status)) TaskFailedIn(task.RunId);
        _dirtyTasks[task.Seq] = task;
    }

    /// <summary>
    /// Records the end of the task's attempt in progress, read from its lease: call before the lease is dropped. A task
    /// without a lease has no attempt in progress (a client marked it running, or it already ended), so nothing is written.
    /// </summary>
    public void EndAttempt(TaskRow task, string outcome, string? error)
    {
        if (!task.HoldsLease) return;
        _endedAttempts.Add((task.Id, task.Attempt, task.ExecutorId, task.ExecutorIp, task.StartedAt, outcome, error));
    }

    public void AddEvent(RunRow run, Guid? taskId, string type, string? dataJson) => _events.Add((run, taskId, type, dataJson));

    public void InsertEvent(int position, RunRow run, Guid? taskId, string type, string? dataJson) => _events.Insert(position, (run, taskId, type, dataJson));

    /// <summary>Sizes the buffers for an operation that creates <paramref name="runs"/> runs, so they do not grow by doubling.</summary>
    public void ExpectNewRuns(int runs)
    {
        _runs.EnsureCapacity(_runs.Count + runs);
        _events.EnsureCapacity(_events.Count + runs);
    }

    // New rows buffered before they are written: small enough to stay out of the large-object heap.
    private const int NewRowsFlushAt = 512;

    /// <summary>Writes the buffered new runs and tasks once there are many of them (an operation creating many runs).</summary>
    public void FlushNewRowsIfMany()
    {
        if (_newTasks.Count >= NewRowsFlushAt || _newRuns.Count >= NewRowsFlushAt) FlushRows();
    }

    /// <summary>Writes every buffered row change except events and run updates (which no statement of an operation reads).</summary>
    public void FlushRows()
    {
        if (_newRuns.Count > 0)
        {
            var insertRun = RawDb.Statement(SqliteSql.InsertRun);
            foreach (var r in _newRuns)
            {
                insertRun.Bind(1, r.Id).Bind(2, r.OrgId).Bind(3, RunRow.KindToDb(r.Kind)).Bind(4, r.Status.ToWire()).Bind(5, r.Family).Bind(6, r.Name)
                    .Bind(7, r.InputJson).Bind(8, r.OutputJson).Bind(9, r.ErrorJson).Bind(10, r.MetadataJson).Bind(11, r.IdempotencyKey).Bind(12, r.MaxConcurrency)
                    .Bind(13, r.DeadlineAt).Bind(14, r.DeadlineArmed).Bind(15, r.CreatedAt).Bind(16, r.UpdatedAt).Bind(17, r.StartedAt).Bind(18, r.CompletedAt)
                    .Bind(19, r.Unfinished).Exec();
                if (r.TraceParent is not null) RawDb.Statement(TraceSql.SetRunTrace).Bind(1, r.TraceParent).Bind(2, r.TraceState).Bind(3, r.Id).Exec();
                r.Dirty = false;
            }

            _newRuns.Clear();
        }

        if (_newTasks.Count > 0)
        {
            var insertTask = RawDb.Statement(SqliteSql.InsertTask);
            foreach (var (run, t, status, remaining, queuedAt, completedAt) in _newTasks)
            {
                var rp = t.RetryPolicy;
                insertTask.Bind(1, t.Id).Bind(2, run.Id).Bind(3, run.OrgId).Bind(4, t.Name).Bind(5, t.Type).Bind(6, status.ToWire()).Bind(7, t.Priority)
                    .Bind(8, t.InputJson).Bind(9, t.MetadataJson).Bind(10, SqliteValues.ListToJson(t.Dependencies)).Bind(11, remaining).Bind(12, t.ParentTaskId)
                    .Bind(13, rp.MaxAttempts).Bind(14, rp.InitialDelay).Bind(15, rp.MaxDelay).Bind(16, rp.BackoffFactor).Bind(17, rp.Jitter).Bind(18, t.Timeout)
                    .Bind(19, t.Enqueue).Bind(20, Now).Bind(21, Now).Bind(22, queuedAt).Bind(23, completedAt).Exec();
                // A second statement for the few tasks with a concurrency key keeps the insert of all others unchanged.
                if (t.LimitKey is not null) SetLimitKey(t);
                if (t.Dependencies.Count == 0) continue;
                var seq = RawDb.LastInsertRowId;
                var insertDep = RawDb.Statement(SqliteSql.InsertDep);
                foreach (var dep in t.Dependencies) insertDep.Bind(1, run.Id).Bind(2, dep).Bind(3, seq).Exec();
            }

            _newTasks.Clear();
        }

        if (_dirtyTasks.Count > 0)
        {
            var updateTask = RawDb.Statement(SqliteSql.UpdateTask);
            foreach (var t in _dirtyTasks.Values)
            {
                updateTask.Bind(1, t.Status.ToWire()).Bind(2, t.OutputJson).Bind(3, t.ErrorJson).Bind(4, t.MetadataJson).Bind(5, t.RemainingDependencies)
                    .Bind(6, t.Attempt).Bind(7, t.NotBefore).Bind(8, t.LeaseToken).Bind(9, t.LeaseExpiresAt).Bind(10, t.ExecutorId).Bind(11, t.QueueJobId)
                    .Bind(12, t.UpdatedAt).Bind(13, t.QueuedAt).Bind(14, t.StartedAt).Bind(15, t.CompletedAt).Bind(16, t.ExecutorIp).Bind(17, t.Seq).Exec();
            }

            _dirtyTasks.Clear();
        }

        if (_endedAttempts.Count > 0)
        {
            var insertAttempt = RawDb.Statement(SqliteSql.InsertEndedAttempt);
            foreach (var (task, number, executor, ip, startedAt, outcome, error) in _endedAttempts)
            {
                insertAttempt.Bind(1, task).Bind(2, number).Bind(3, executor ?? "").Bind(4, ip).Bind(5, startedAt ?? Now).Bind(6, Now).Bind(7, outcome)
                    .Bind(8, error).Exec();
            }

            _endedAttempts.Clear();
        }
    }

    /// <summary>Writes everything buffered; called once before COMMIT.</summary>
    public void Flush()
    {
        FlushRows();
        Stmt? updateRun = null;
        foreach (var run in _runs.Values)
        {
            if (!run.Dirty) continue;
            // A finished run is rarely written again; dropping it keeps the cache to the runs in progress.
            if (run.Status.IsTerminal()) Cache.Runs.Remove(run.Id);
            updateRun ??= RawDb.Statement(SqliteSql.UpdateRun);
            updateRun.Value.Bind(1, run.Status.ToWire()).Bind(2, run.OutputJson).Bind(3, run.ErrorJson).Bind(4, run.MetadataJson).Bind(5, run.DeadlineAt)
                .Bind(6, run.DeadlineArmed).Bind(7, run.UpdatedAt).Bind(8, run.StartedAt).Bind(9, run.CompletedAt).Bind(10, run.Unfinished).Bind(11, run.Id).Exec();
            run.Dirty = false;
        }

        InsertEvents();
    }

    // Events go into batch rows (SqliteEventBatches): one row per stretch of one org's events, not one per event.
    private void InsertEvents()
    {
        if (_events.Count > 0) SqliteEventBatches.Write(RawDb, _events, Now);
        _events.Clear();
    }
}
