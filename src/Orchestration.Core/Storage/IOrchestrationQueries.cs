using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// The read side used by the APIs. Every query is scoped by org: another org's rows are never returned, and a
/// lookup by id of another org's row returns null exactly as a missing row does.
/// </summary>
public interface IOrchestrationQueries
{
    /// <summary>One run with its task counters, or null.</summary>
    Task<Run?> GetRunAsync(string orgId, Guid runId, CancellationToken cancellationToken);

    /// <summary>
    /// The trace contexts stored with these runs at creation (<see cref="CreateRunParams.TraceParent"/>), keyed by run id;
    /// runs created without one, or not found, are left out. Not scoped by org: the executor runtime asks for the runs
    /// of tasks it has just claimed. A store that keeps no trace context answers with an empty map, which only costs
    /// handler spans their parent.
    /// </summary>
    Task<IReadOnlyDictionary<Guid, RunTraceContext>> GetRunTraceContextsAsync(IReadOnlyList<Guid> runIds, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<Guid, RunTraceContext>>(new Dictionary<Guid, RunTraceContext>());

    /// <summary>The run created with this idempotency key, or null.</summary>
    Task<Run?> GetRunByIdempotencyKeyAsync(string orgId, string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>A page of runs.</summary>
    Task<Page<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken);

    /// <summary>One task, or null.</summary>
    Task<TaskRun?> GetTaskAsync(string orgId, Guid taskId, CancellationToken cancellationToken);

    /// <summary>A page of tasks, oldest first.</summary>
    Task<Page<TaskRun>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken);

    /// <summary>Every task of a run, oldest first; empty when the run is not found.</summary>
    Task<IReadOnlyList<TaskRun>> GetRunTasksAsync(string orgId, Guid runId, CancellationToken cancellationToken);

    /// <summary>A task's attempts, first first.</summary>
    Task<IReadOnlyList<TaskAttempt>> GetAttemptsAsync(string orgId, Guid taskId, CancellationToken cancellationToken);

    /// <summary>The latest entry of a key, or null.</summary>
    Task<RunDataEntry?> GetLatestRunDataAsync(string orgId, Guid runId, string key, CancellationToken cancellationToken);

    /// <summary>Run data matching a filter.</summary>
    Task<Page<RunDataEntry>> QueryRunDataAsync(RunDataQuery query, CancellationToken cancellationToken);

    /// <summary>Events with a sequence greater than <paramref name="afterSequence"/>, in order; all orgs when <paramref name="orgId"/> is null.</summary>
    Task<IReadOnlyList<EngineEvent>> ReadEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken);

    /// <summary>
    /// Events after <paramref name="afterSequence"/> up to a commit-safe watermark, in order; all orgs when
    /// <paramref name="orgId"/> is null. Unlike <see cref="ReadEventsAsync"/>, no event with a sequence at or below the
    /// returned <see cref="EventBatch.Watermark"/> can become visible later (a writer that drew a lower sequence and
    /// commits after a higher one): a consumer that resumes after the watermark, or after the last event it handled,
    /// never skips an event. <paramref name="afterSequence"/> must be a watermark or event sequence this method returned.
    /// </summary>
    Task<EventBatch> ReadCommittedEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken);

    /// <summary>
    /// Unfinished tasks (pending, queued, retrying, running) of every org, counted by org, run family and status in one
    /// read: the queue-depth gauge's source. Groups with no task are absent. Its cost grows with the tasks the store
    /// keeps (a SQLite store reads its whole task table), so callers cache it.
    /// </summary>
    Task<IReadOnlyList<UnfinishedTaskCount>> CountUnfinishedTasksAsync(CancellationToken cancellationToken);

    /// <summary>True when the store answers a trivial query (health checks).</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}
