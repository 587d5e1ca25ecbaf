using Orchestration.Domain;

namespace Orchestration.Sqlite;

/// <summary>
/// State of one write transaction on the writer connection: the clock reading every timestamp of the operation uses,
/// a cache of the runs it touched (flushed once at commit), and the wake-ups to deliver only after COMMIT.
/// </summary>
internal sealed class WriteTx(SqliteCommands db, DateTimeOffset now)
{
    private readonly Dictionary<Guid, RunRow> _runs = [];

    public SqliteCommands Db { get; } = db;
    public DateTimeOffset Now { get; } = now;
    public bool WakeWork { get; set; }
    public bool WakeCancelled { get; set; }
    public DateTimeOffset? RetryWakeAt { get; private set; }

    public void WakeRetryAt(DateTimeOffset at)
    {
        if (RetryWakeAt is null || at < RetryWakeAt) RetryWakeAt = at;
    }

    /// <summary>The run, from the cache or the database; null when it does not exist.</summary>
    public RunRow? Run(Guid runId)
    {
        if (_runs.TryGetValue(runId, out var run)) return run;
        run = Db.QuerySingle($"SELECT {RunRow.Columns} FROM runs WHERE id = $id", RunRow.Read, runId);
        if (run is not null) _runs[runId] = run;
        return run;
    }

    /// <summary>The run when it exists in <paramref name="orgId"/>; another org's run is reported as missing.</summary>
    public RunRow? Run(string orgId, Guid runId)
    {
        var run = Run(runId);
        return run is not null && string.Equals(run.OrgId, orgId, StringComparison.Ordinal) ? run : null;
    }

    public void Track(RunRow run) => _runs[run.Id] = run;

    public void Flush()
    {
        foreach (var run in _runs.Values)
        {
            if (!run.Dirty) continue;
            Db.Exec(Sql.UpdateRun, run.Status.ToWire(), run.OutputJson, run.ErrorJson, run.MetadataJson, run.DeadlineAt, run.DeadlineArmed,
                run.UpdatedAt, run.StartedAt, run.CompletedAt, run.Unfinished, run.Id);
            run.Dirty = false;
        }
    }
}
