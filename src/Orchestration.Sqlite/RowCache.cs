namespace Orchestration.Sqlite;

/// <summary>
/// Row images that stay valid across write transactions of this store's writer, so the hot path does not re-read what it
/// wrote moments ago: the runs it created or touched, and the tasks it claimed (a completion finds its task here).
/// </summary>
/// <remarks>
/// Valid only while no other connection has written the file: every write transaction first compares
/// <c>PRAGMA data_version</c> (which changes only when another connection commits) with the value seen before, and a
/// change, a rolled-back transaction, or any operation other than claim, complete and create (which change tasks
/// through statements that do not update the images) empties it. Runs are only ever written from their images, so the
/// run images survive every operation of this process. Both maps are bounded; past the bound new rows are not cached.
/// </remarks>
internal sealed class RowCache
{
    public const int MaxRuns = 10_000;
    public const int MaxTasks = 10_000;

    public Dictionary<Guid, RunRow> Runs { get; } = [];

    /// <summary>Tasks this writer claimed, by id, as committed.</summary>
    public Dictionary<Guid, TaskRow> Tasks { get; } = [];

    public long DataVersion { get; set; } = -1;

    public void AddRun(RunRow run)
    {
        if (Runs.Count < MaxRuns || Runs.ContainsKey(run.Id)) Runs[run.Id] = run;
    }

    public void AddTask(TaskRow task)
    {
        if (Tasks.Count < MaxTasks || Tasks.ContainsKey(task.Id)) Tasks[task.Id] = task;
    }

    public void Clear()
    {
        Runs.Clear();
        Tasks.Clear();
    }
}
