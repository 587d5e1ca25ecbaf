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
internal sealed class WriteTx(SqliteCommands db, DateTimeOffset now)
{
    private readonly Dictionary<Guid, RunRow> _runs = [];
    private readonly List<RunRow> _newRuns = [];
    private readonly List<(RunRow Run, NewTask Task, TaskRunStatus Status, int Remaining, DateTimeOffset? QueuedAt, DateTimeOffset? CompletedAt)> _newTasks = [];
    private readonly Dictionary<long, TaskRow> _dirtyTasks = [];
    private readonly List<(Guid Task, int Number, string Executor, string? Ip)> _newAttempts = [];
    private readonly List<(Guid Task, string Outcome, string? Error)> _endedAttempts = [];
    private readonly List<(RunRow Run, Guid? Task, string Type, string? Data)> _events = [];

    public SqliteCommands RawDb { get; } = db;

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

    public void WakeRetryAt(DateTimeOffset at)
    {
        if (RetryWakeAt is null || at < RetryWakeAt) RetryWakeAt = at;
    }

    /// <summary>The run, from the cache or the database; null when it does not exist.</summary>
    public RunRow? Run(Guid runId)
    {
        if (_runs.TryGetValue(runId, out var run)) return run;
        // Runs are only ever changed through the cache, so the stored row is current for any run not in it.
        run = RawDb.QuerySingle($"SELECT {RunRow.Columns} FROM runs WHERE id = $id", RunRow.Read, runId);
        if (run is not null) _runs[runId] = run;
        return run;
    }

    /// <summary>The run when it exists in <paramref name="orgId"/>; another org's run is reported as missing.</summary>
    public RunRow? Run(string orgId, Guid runId)
    {
        var run = Run(runId);
        return run is not null && string.Equals(run.OrgId, orgId, StringComparison.Ordinal) ? run : null;
    }

    /// <summary>Loads many runs into the cache with one query.</summary>
    public void PreloadRuns(IEnumerable<Guid> runIds)
    {
        var ids = new List<Guid>();
        foreach (var id in runIds.Distinct())
        {
            if (_runs.ContainsKey(id)) continue;
            ids.Add(id);
        }

        if (ids.Count == 0) return;
        var json = System.Text.Json.JsonSerializer.Serialize(ids.Select(i => i.ToString("D")));
        foreach (var run in RawDb.Query(BulkSql.RunsByIds, RunRow.Read, json)) _runs[run.Id] = run;
    }

    public void AddRun(RunRow run)
    {
        _runs[run.Id] = run;
        _newRuns.Add(run);
    }

    public void AddTask(RunRow run, NewTask task, TaskRunStatus status, int remaining, DateTimeOffset? queuedAt, DateTimeOffset? completedAt) =>
        _newTasks.Add((run, task, status, remaining, queuedAt, completedAt));

    public void SaveTask(TaskRow task) => _dirtyTasks[task.Seq] = task;

    public void AddAttempt(Guid taskId, int number, string executorId, string? executorIp) => _newAttempts.Add((taskId, number, executorId, executorIp));

    public void EndAttempt(Guid taskId, string outcome, string? error) => _endedAttempts.Add((taskId, outcome, error));

    public void AddEvent(RunRow run, Guid? taskId, string type, string? dataJson) => _events.Add((run, taskId, type, dataJson));

    public void InsertEvent(int position, RunRow run, Guid? taskId, string type, string? dataJson) => _events.Insert(position, (run, taskId, type, dataJson));

    /// <summary>Writes every buffered row change except events and run updates (which no statement of an operation reads).</summary>
    public void FlushRows()
    {
        foreach (var r in _newRuns)
        {
            RawDb.ExecRow(Sql.InsertRun, r.Id, r.OrgId, RunRow.KindToDb(r.Kind), r.Status.ToWire(), r.Family, r.Name, r.InputJson, r.OutputJson, r.ErrorJson,
                r.MetadataJson, r.IdempotencyKey, r.MaxConcurrency, r.DeadlineAt, r.DeadlineArmed, r.CreatedAt, r.UpdatedAt, r.StartedAt, r.CompletedAt, r.Unfinished);
            r.Dirty = false;
        }

        _newRuns.Clear();

        foreach (var (run, t, status, remaining, queuedAt, completedAt) in _newTasks)
        {
            var rp = t.RetryPolicy;
            RawDb.ExecRow(Sql.InsertTask, t.Id, run.Id, run.OrgId, t.Name, t.Type, status.ToWire(), t.Priority, t.InputJson, t.MetadataJson,
                SqliteValues.ListToJson(t.Dependencies), remaining, t.ParentTaskId, rp.MaxAttempts, rp.InitialDelay, rp.MaxDelay, rp.BackoffFactor, rp.Jitter,
                t.Timeout, t.Enqueue, Now, Now, queuedAt, completedAt);
            if (t.Dependencies.Count == 0) continue;
            var seq = RawDb.LastInsertRowId;
            foreach (var dep in t.Dependencies) RawDb.ExecRow(Sql.InsertDep, run.Id, dep, seq);
        }

        _newTasks.Clear();

        foreach (var t in _dirtyTasks.Values)
        {
            RawDb.ExecRow(Sql.UpdateTask, t.Status.ToWire(), t.OutputJson, t.ErrorJson, t.MetadataJson, t.RemainingDependencies, t.Attempt,
                t.NotBefore, t.LeaseToken, t.LeaseExpiresAt, t.ExecutorId, t.QueueJobId, t.UpdatedAt, t.QueuedAt, t.StartedAt, t.CompletedAt, t.Seq);
        }

        _dirtyTasks.Clear();

        foreach (var (task, number, executor, ip) in _newAttempts) RawDb.ExecRow(Sql.InsertAttempt, task, number, executor, ip, Now);
        _newAttempts.Clear();

        foreach (var (task, outcome, error) in _endedAttempts) RawDb.ExecRow(Sql.EndAttempt, Now, outcome, error, task);
        _endedAttempts.Clear();
    }

    /// <summary>Writes everything buffered; called once before COMMIT.</summary>
    public void Flush()
    {
        FlushRows();
        foreach (var run in _runs.Values)
        {
            if (!run.Dirty) continue;
            RawDb.ExecRow(Sql.UpdateRun, run.Status.ToWire(), run.OutputJson, run.ErrorJson, run.MetadataJson, run.DeadlineAt, run.DeadlineArmed,
                run.UpdatedAt, run.StartedAt, run.CompletedAt, run.Unfinished, run.Id);
            run.Dirty = false;
        }

        foreach (var (run, task, type, data) in _events) RawDb.ExecRow(Sql.InsertEvent, run.OrgId, run.Id, task, type, data, Now);
        _events.Clear();
    }
}
