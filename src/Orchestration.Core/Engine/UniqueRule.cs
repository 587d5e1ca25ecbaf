using Orchestration.Domain;

namespace Orchestration.Engine;

/// <summary>
/// Unique work: while an earlier run holding the same key blocks, creating another returns that run (or fails with
/// <see cref="UniqueConflictException"/>, see <see cref="OnDuplicate"/>). The stores decide atomically: concurrent
/// creates with one key make exactly one run. A key is always scoped by org and by the API family that creates the run.
/// </summary>
public sealed record UniqueRule
{
    /// <summary>The caller's key (required, at most 255 characters).</summary>
    public required string Key { get; init; }

    /// <summary>Org-wide (default) or per run name (a job's type, a workflow's name).</summary>
    public UniqueScope Scope { get; init; } = UniqueScope.Org;

    /// <summary>The states in which the earlier run blocks; default while it has not finished (pending or running).</summary>
    public UniqueStates States { get; init; } = UniqueStates.Unfinished;

    /// <summary>
    /// How long after it finished the earlier run still blocks, whatever its final state ("not again within 10 minutes");
    /// null or zero for not at all.
    /// </summary>
    public TimeSpan? Window { get; init; }

    /// <summary>What a duplicate gets: the earlier run (default) or a conflict.</summary>
    public OnDuplicate OnDuplicate { get; init; } = OnDuplicate.ReturnExisting;

    /// <summary>
    /// Store SPI: whether an earlier run in <paramref name="status"/>, finished at <paramref name="finishedAt"/> (null while
    /// unfinished), blocks a new run at <paramref name="now"/>. The rule of the new run decides, not the earlier run's.
    /// </summary>
    public bool Blocks(RunStatus status, DateTimeOffset? finishedAt, DateTimeOffset now)
    {
        if ((States & StateOf(status)) != 0) return true;
        return Window is { } window && window > TimeSpan.Zero && IsFinished(status) && finishedAt is { } at && now < at + window;
    }

    /// <summary>The flag of one run status.</summary>
    public static UniqueStates StateOf(RunStatus status) => status switch
    {
        RunStatus.Pending => UniqueStates.Pending,
        RunStatus.Running => UniqueStates.Running,
        RunStatus.Completed => UniqueStates.Completed,
        RunStatus.Failed => UniqueStates.Failed,
        RunStatus.Cancelled => UniqueStates.Cancelled,
        _ => UniqueStates.None,
    };

    private static bool IsFinished(RunStatus status) => status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled;
}

/// <summary>Where a unique key applies (always within one org and one API family).</summary>
public enum UniqueScope
{
    /// <summary>Every run of the org and family.</summary>
    Org,
    /// <summary>Runs of the same name only (a job's type, a workflow's name); the run must have a name.</summary>
    Name,
}

/// <summary>Run states in which an earlier run with the same key blocks a new one.</summary>
[Flags]
public enum UniqueStates
{
    /// <summary>No state: only the window after finishing blocks.</summary>
    None = 0,
    /// <summary>Pending.</summary>
    Pending = 1,
    /// <summary>Running.</summary>
    Running = 2,
    /// <summary>Completed.</summary>
    Completed = 4,
    /// <summary>Failed.</summary>
    Failed = 8,
    /// <summary>Cancelled.</summary>
    Cancelled = 16,
    /// <summary>Pending or running (the default).</summary>
    Unfinished = Pending | Running,
    /// <summary>Every state: the key blocks for as long as the earlier run is kept.</summary>
    Any = Pending | Running | Completed | Failed | Cancelled,
}

/// <summary>What a create that meets a blocking run with the same key gets.</summary>
public enum OnDuplicate
{
    /// <summary>The earlier run, with <c>Created</c> false; nothing is written.</summary>
    ReturnExisting,
    /// <summary>A <see cref="UniqueConflictException"/> (the HTTP families answer 409); nothing is written.</summary>
    Conflict,
}

/// <summary>Thrown by <see cref="IOrchestrationClient.CreateRunAsync"/> when a unique rule with <see cref="OnDuplicate.Conflict"/> met a blocking run.</summary>
public sealed class UniqueConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UniqueConflictException(string key, Run existingRun)
        : base($"unique key '{key}' is held by run {existingRun?.Id}")
    {
        ArgumentNullException.ThrowIfNull(existingRun);
        Key = key;
        ExistingRun = existingRun;
    }

    /// <summary>Creates the exception.</summary>
    public UniqueConflictException() : base("unique key conflict") { Key = ""; }

    /// <summary>Creates the exception.</summary>
    public UniqueConflictException(string message) : base(message) { Key = ""; }

    /// <summary>Creates the exception.</summary>
    public UniqueConflictException(string message, Exception innerException) : base(message, innerException) { Key = ""; }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>The run that holds it, as stored; null only on the parameterless constructors.</summary>
    public Run? ExistingRun { get; }
}
