using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

/// <summary>
/// State of one write transaction on the writer connection: the clock reading every timestamp of the operation uses,
/// the runs it touched, the writes it buffered, and the wake-ups to deliver only after COMMIT.
/// </summary>
/// <remarks>
/// Row writes (new runs and tasks, task and run updates, attempts, events) are buffered and written in batches of one
/// statement each. <see cref="Db"/> flushes them first, so any statement issued through it sees every earlier write of the
/// operation; hot paths that know a statement is unaffected by the buffered writes use <see cref="RawDb"/> instead.
/// </remarks>
internal sealed class WriteTx(SqliteCommands db, DateTimeOffset now)
{
    private readonly Dictionary<Guid, RunRow> _runs = [];
    private readonly List<RunRow> _newRuns = [];
    private readonly HashSet<RunRow> _newRunSet = [];
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
        _newRunSet.Add(run);
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
        if (_newRuns.Count > 0)
        {
            var rows = new JsonRows();
            foreach (var r in _newRuns)
            {
                rows.Row().Add(r.Id).Add(r.OrgId).Add(RunRow.KindToDb(r.Kind)).Add(r.Status.ToWire()).Add(r.Family).Add(r.Name).Add(r.InputJson).Add(r.OutputJson)
                    .Add(r.ErrorJson).Add(r.MetadataJson).Add(r.IdempotencyKey).Add((long?)r.MaxConcurrency).Add(r.DeadlineAt).Add(r.DeadlineArmed).Add(r.CreatedAt)
                    .Add(r.UpdatedAt).Add(r.StartedAt).Add(r.CompletedAt).Add(r.Unfinished);
                r.Dirty = false;
            }

            RawDb.Exec(BulkSql.InsertRuns, rows.Build());
            _newRuns.Clear();
            _newRunSet.Clear();
        }

        if (_newTasks.Count > 0)
        {
            var rows = new JsonRows();
            JsonRows? deps = null;
            foreach (var (run, t, status, remaining, queuedAt, completedAt) in _newTasks)
            {
                var rp = t.RetryPolicy;
                rows.Row().Add(t.Id).Add(run.Id).Add(run.OrgId).Add(t.Name).Add(t.Type).Add(status.ToWire()).Add(t.Priority).Add(t.InputJson).Add(t.MetadataJson)
                    .Add(SqliteValues.ListToJson(t.Dependencies)).Add(remaining).Add(t.ParentTaskId).Add(rp.MaxAttempts).Add(rp.InitialDelay.Ticks).Add(rp.MaxDelay.Ticks)
                    .Add(rp.BackoffFactor).Add(rp.Jitter).Add(t.Timeout?.Ticks).Add(t.Enqueue).Add(Now).Add(Now).Add(queuedAt).Add(completedAt);
                foreach (var dep in t.Dependencies) (deps ??= new JsonRows()).Row().Add(run.Id).Add(dep).Add(t.Name);
            }

            RawDb.Exec(BulkSql.InsertTasks, rows.Build());
            if (deps is not null) RawDb.Exec(BulkSql.InsertDeps, deps.Build());
            _newTasks.Clear();
        }

        if (_dirtyTasks.Count > 0)
        {
            var rows = new JsonRows();
            foreach (var t in _dirtyTasks.Values)
            {
                rows.Row().Add(t.Seq).Add(t.Status.ToWire()).Add(t.OutputJson).Add(t.ErrorJson).Add(t.MetadataJson).Add(t.RemainingDependencies).Add(t.Attempt)
                    .Add(t.NotBefore).Add(t.LeaseToken).Add(t.LeaseExpiresAt).Add(t.ExecutorId).Add(t.QueueJobId).Add(t.UpdatedAt).Add(t.QueuedAt).Add(t.StartedAt)
                    .Add(t.CompletedAt);
            }

            RawDb.Exec(BulkSql.UpdateTasks, rows.Build());
            _dirtyTasks.Clear();
        }

        if (_newAttempts.Count > 0)
        {
            var rows = new JsonRows();
            foreach (var (task, number, executor, ip) in _newAttempts) rows.Row().Add(task).Add(number).Add(executor).Add(ip).Add(Now);
            RawDb.Exec(BulkSql.InsertAttempts, rows.Build());
            _newAttempts.Clear();
        }

        if (_endedAttempts.Count > 0)
        {
            var rows = new JsonRows();
            foreach (var (task, outcome, error) in _endedAttempts) rows.Row().Add(task).Add(Now).Add(outcome).Add(error);
            RawDb.Exec(BulkSql.EndAttempts, rows.Build());
            _endedAttempts.Clear();
        }
    }

    /// <summary>Writes everything buffered; called once before COMMIT.</summary>
    public void Flush()
    {
        FlushRows();
        var dirty = new JsonRows();
        foreach (var run in _runs.Values)
        {
            if (!run.Dirty) continue;
            dirty.Row().Add(run.Id).Add(run.Status.ToWire()).Add(run.OutputJson).Add(run.ErrorJson).Add(run.MetadataJson).Add(run.DeadlineAt).Add(run.DeadlineArmed)
                .Add(run.UpdatedAt).Add(run.StartedAt).Add(run.CompletedAt).Add(run.Unfinished);
            run.Dirty = false;
        }

        if (dirty.Count > 0) RawDb.Exec(BulkSql.UpdateRuns, dirty.Build());

        if (_events.Count > 0)
        {
            var rows = new JsonRows();
            foreach (var (run, task, type, data) in _events) rows.Row().Add(run.OrgId).Add(run.Id).Add(task).Add(type).Add(data).Add(Now);
            RawDb.Exec(BulkSql.InsertEvents, rows.Build());
            _events.Clear();
        }
    }
}
