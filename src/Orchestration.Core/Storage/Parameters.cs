using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>Parameters of <see cref="IOrchestrationStore.CreateRunsAsync"/> for one run.</summary>
public sealed record CreateRunParams
{
    /// <summary>Id chosen by the engine.</summary>
    public required Guid RunId { get; init; }
    /// <summary>Owning org.</summary>
    public required string OrgId { get; init; }
    /// <summary>Managed or open.</summary>
    public required RunKind Kind { get; init; }
    /// <summary>Creating API family.</summary>
    public required string Family { get; init; }
    /// <summary>Display name.</summary>
    public string? Name { get; init; }
    /// <summary>Input as JSON text.</summary>
    public string? InputJson { get; init; }
    /// <summary>Metadata as JSON text.</summary>
    public string? MetadataJson { get; init; }
    /// <summary>Idempotency key, unique per org; a second create with the same key returns the first run.</summary>
    public string? IdempotencyKey { get; init; }
    /// <summary>
    /// Unique work (exclusive with <see cref="IdempotencyKey"/>): the store creates the run only when no run holding the same
    /// key in <see cref="NewRun.UniqueScopeOf"/> blocks by the rule (<see cref="Engine.UniqueRule.Blocks"/>), atomically;
    /// otherwise it returns that run with <c>Created</c> false. Within one call a repeated key resolves to its first run.
    /// </summary>
    public Engine.UniqueRule? Unique { get; init; }
    /// <summary>Per-run concurrency limit.</summary>
    public int? MaxConcurrency { get; init; }
    /// <summary>Run timeout, counted from creation (or from <see cref="ScheduledAt"/> when that is later).</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>
    /// The run's tasks are not claimable before this instant: tasks without dependencies are born pending with this
    /// not-before time (see <see cref="NewRun.ScheduledFor"/>) and the first claim at or after it queues them. Null for at once.
    /// </summary>
    public DateTimeOffset? ScheduledAt { get; init; }
    /// <summary>The validated task graph (empty for open runs).</summary>
    public IReadOnlyList<NewTask> Tasks { get; init; } = [];
    /// <summary>
    /// The W3C <c>traceparent</c> of the operation that created the run, kept with the run so the spans of its handlers
    /// join that trace on any host (see <see cref="IOrchestrationQueries.GetRunTraceContextsAsync"/>). Null when the
    /// creator was not traced (no sampled activity was current).
    /// </summary>
    public string? TraceParent { get; init; }
    /// <summary>The W3C <c>tracestate</c> that goes with <see cref="TraceParent"/>, or null.</summary>
    public string? TraceState { get; init; }
}

/// <summary>Outcome of creating one run.</summary>
/// <param name="Run">The run as stored (the earlier one when <paramref name="Created"/> is false).</param>
/// <param name="Created">False when the idempotency key matched an existing run and nothing was written.</param>
public sealed record CreateRunResult(Run Run, bool Created);

/// <summary>Parameters of <see cref="IOrchestrationStore.AddTaskAsync"/>.</summary>
/// <param name="OrgId">The caller's org; another org's run is not found.</param>
/// <param name="RunId">Target run.</param>
/// <param name="Task">The task.</param>
/// <param name="Family">
/// The caller's API family: a run created by another family is not found, as another org's would be. Null for callers
/// of every family (embedded code, child tasks of running handlers).
/// </param>
public sealed record AddTaskParams(string OrgId, Guid RunId, NewTask Task, string? Family = null);

/// <summary>Why <see cref="IOrchestrationStore.AddTaskAsync"/> did or did not add the task.</summary>
public enum AddTaskStatus
{
    /// <summary>Added.</summary>
    Added,
    /// <summary>No such run in the caller's org.</summary>
    RunNotFound,
    /// <summary>The run is finished (completed, failed or cancelled): it takes no new tasks, open or managed.</summary>
    RunFinished,
    /// <summary>A dependency names no task of the run.</summary>
    UnknownDependency,
    /// <summary>A task of that name already exists in the run.</summary>
    DuplicateName,
    /// <summary>The parent task is not a task of this run.</summary>
    ParentNotFound,
}

/// <summary>Outcome of adding a task.</summary>
/// <param name="Status">Whether it was added.</param>
/// <param name="Task">The stored task when added.</param>
/// <param name="Detail">For failures, the offending name.</param>
public sealed record AddTaskResult(AddTaskStatus Status, TaskRun? Task, string? Detail = null);

/// <summary>Parameters of <see cref="IOrchestrationStore.ClaimTasksAsync"/>.</summary>
public sealed record ClaimTasksParams
{
    /// <summary>Who claims; recorded on the attempt and the task.</summary>
    public required string ExecutorId { get; init; }
    /// <summary>The executor's address, if known.</summary>
    public string? ExecutorIp { get; init; }
    /// <summary>Only tasks of these types; empty means any type.</summary>
    public IReadOnlyCollection<string> Types { get; init; } = [];
    /// <summary>Only tasks of this org; null means every org (the in-process worker of a host).</summary>
    public string? OrgId { get; init; }
    /// <summary>Only tasks of runs created by this family; null means any.</summary>
    public string? Family { get; init; }
    /// <summary>At most this many tasks.</summary>
    public required int Max { get; init; }
    /// <summary>Lease length.</summary>
    public required TimeSpan LeaseDuration { get; init; }
    /// <summary>Per-type limits on running tasks across all executors sharing the store.</summary>
    public IReadOnlyDictionary<string, int>? TypeLimits { get; init; }
    /// <summary>
    /// When set and enabled (and <see cref="OrgId"/> is null), the claim is shared between the orgs with queued work by
    /// their weights (see <see cref="FairShare"/>); null claims in plain claim order.
    /// </summary>
    public Orchestration.Engine.FairnessOptions? Fairness { get; init; }

    // Set by the executor front, which hides lease tokens from handlers anyway: a store that knows it (the in-memory
    // one) may answer with a LeaseFreeClaim, records without the token and the tokens beside them, so each claimed task
    // costs one record instead of a record and its copy. Stores that ignore it answer as usual.
    internal bool LeaseTokensApart { get; init; }
}

/// <summary>A lease held on a task: the pair every fenced write must present.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="LeaseToken">The token handed out by the claim.</param>
public readonly record struct TaskLease(Guid TaskId, Guid LeaseToken);

/// <summary>Parameters of <see cref="IOrchestrationStore.HeartbeatTasksAsync"/>.</summary>
/// <param name="Leases">Leases to extend.</param>
/// <param name="LeaseDuration">New lease length, counted from now.</param>
public sealed record HeartbeatTasksParams(IReadOnlyList<TaskLease> Leases, TimeSpan LeaseDuration);

/// <summary>What a heartbeat found.</summary>
public enum HeartbeatOutcome
{
    /// <summary>The lease was extended.</summary>
    Extended,
    /// <summary>The lease token matches but the task was cancelled: stop work, any completion will be ignored.</summary>
    Cancelled,
    /// <summary>The lease is gone (another attempt holds the task, or it finished): stop work.</summary>
    Lost,
}

/// <summary>Result of one heartbeat item.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="LeaseExpiresAt">The new expiry when extended.</param>
public readonly record struct HeartbeatResult(Guid TaskId, HeartbeatOutcome Outcome, DateTimeOffset? LeaseExpiresAt);

/// <summary>One completion: applies only while the task is running under <paramref name="Lease"/>.</summary>
/// <param name="Lease">Task id and lease token.</param>
/// <param name="OutputJson">Output as JSON text.</param>
public sealed record TaskCompletion(TaskLease Lease, string? OutputJson)
{
    /// <summary>The exit code the handler reported (a process's), stored on the task; routes may branch on it.</summary>
    public int? ExitCode { get; init; }
}

/// <summary>One failed attempt: applies only while the task is running under <paramref name="Lease"/>.</summary>
/// <param name="Lease">Task id and lease token.</param>
/// <param name="ErrorJson">Error as JSON text, conventionally <c>{"message": ...}</c>.</param>
/// <param name="Retryable">False fails the task for good whatever attempts remain.</param>
/// <param name="OutputJson">Partial output worth keeping (stdout of a failed process), or null.</param>
public sealed record TaskFailure(TaskLease Lease, string? ErrorJson, bool Retryable = true, string? OutputJson = null)
{
    /// <summary>The exit code the handler reported (a process's), stored on the task; routes may branch on it.</summary>
    public int? ExitCode { get; init; }
}

/// <summary>Result of one fenced write.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Applied">False when the lease was lost (token mismatch, task no longer running): nothing was written.</param>
/// <param name="Status">The task's status after the write, when applied.</param>
public readonly record struct TaskWriteResult(Guid TaskId, bool Applied, TaskRunStatus? Status);

/// <summary>Why a run-level command did or did not apply.</summary>
public enum RunCommandStatus
{
    /// <summary>Applied.</summary>
    Applied,
    /// <summary>No such run in the caller's org.</summary>
    NotFound,
    /// <summary>The run's status does not allow it (cancelling a finished run, restarting a running one).</summary>
    InvalidState,
}

/// <summary>Parameters of <see cref="IOrchestrationStore.UpdateOpenRunAsync"/>. Null fields are left unchanged.</summary>
public sealed record UpdateRunParams
{
    /// <summary>The caller's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The caller's API family: another family's run is not found. Null for callers of every family.</summary>
    public string? Family { get; init; }
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }
    /// <summary>
    /// New status (open runs only; managed runs answer <see cref="RunCommandStatus.InvalidState"/>, and so does a
    /// finished open run asked for another status). A finished status cancels the run's unfinished tasks.
    /// </summary>
    public RunStatus? Status { get; init; }
    /// <summary>New output.</summary>
    public string? OutputJson { get; init; }
    /// <summary>New error.</summary>
    public string? ErrorJson { get; init; }
    /// <summary>New metadata (replaces the old).</summary>
    public string? MetadataJson { get; init; }
}

/// <summary>Parameters of <see cref="IOrchestrationStore.UpdateTaskByClientAsync"/>. Null fields are left unchanged.</summary>
public sealed record UpdateTaskParams
{
    /// <summary>The caller's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The caller's API family: a task of another family's run is not found. Null for callers of every family.</summary>
    public string? Family { get; init; }
    /// <summary>The task.</summary>
    public required Guid TaskId { get; init; }
    /// <summary>
    /// New status, for tasks of open runs only, and never out of a terminal status (completed, failed, cancelled,
    /// skipped); both refusals are <see cref="RunCommandStatus.InvalidState"/>. Completing promotes dependents; failing
    /// skips them, as for executor writes.
    /// </summary>
    public TaskRunStatus? Status { get; init; }
    /// <summary>New output.</summary>
    public string? OutputJson { get; init; }
    /// <summary>New error.</summary>
    public string? ErrorJson { get; init; }
    /// <summary>New metadata.</summary>
    public string? MetadataJson { get; init; }
    /// <summary>External queue job id.</summary>
    public string? QueueJobId { get; init; }
}

/// <summary>Parameters of <see cref="IOrchestrationStore.PutRunDataAsync"/>.</summary>
public sealed record PutRunDataParams
{
    /// <summary>Id chosen by the caller (UUID v7).</summary>
    public required Guid EntryId { get; init; }
    /// <summary>The caller's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }
    /// <summary>The writing task, if any.</summary>
    public Guid? TaskId { get; init; }
    /// <summary>Key.</summary>
    public required string Key { get; init; }
    /// <summary>Value as JSON text.</summary>
    public string? ValueJson { get; init; }
    /// <summary>Tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Metadata as JSON text.</summary>
    public string? MetadataJson { get; init; }

    /// <summary>The entry every back end stores for these parameters at <paramref name="now"/> (tags made distinct).</summary>
    public RunDataEntry ToEntry(DateTimeOffset now) => new()
    {
        Id = EntryId,
        OrgId = OrgId,
        RunId = RunId,
        TaskId = TaskId,
        Key = Key,
        ValueJson = ValueJson,
        Tags = Tags.Distinct(StringComparer.Ordinal).ToArray(),
        MetadataJson = MetadataJson,
        CreatedAt = now,
        UpdatedAt = now,
    };
}

/// <summary>Parameters of <see cref="IOrchestrationStore.DeleteRunDataAsync"/>: exactly one of key and id.</summary>
/// <param name="OrgId">The caller's org.</param>
/// <param name="RunId">The run.</param>
/// <param name="Key">Delete every entry of this key.</param>
/// <param name="EntryId">Delete this one entry.</param>
public sealed record DeleteRunDataParams(string OrgId, Guid RunId, string? Key, Guid? EntryId);

/// <summary>Parameters of <see cref="IOrchestrationStore.ChangeRunDataTagsAsync"/>.</summary>
/// <param name="OrgId">The caller's org.</param>
/// <param name="RunId">The run.</param>
/// <param name="EntryId">The entry.</param>
/// <param name="Add">Tags to add (already present ones are ignored).</param>
/// <param name="Remove">Tags to remove (absent ones are ignored).</param>
public sealed record ChangeRunDataTagsParams(string OrgId, Guid RunId, Guid EntryId, IReadOnlyList<string> Add, IReadOnlyList<string> Remove)
{
    /// <summary>The tags after the change: removals first, then additions, distinct, existing order kept.</summary>
    public string[] Apply(IReadOnlyList<string> current) =>
        current.Where(t => !Remove.Contains(t, StringComparer.Ordinal)).Concat(Add).Distinct(StringComparer.Ordinal).ToArray();
}
