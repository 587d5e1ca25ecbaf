using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Engine;

/// <summary>
/// The one service an application (or an HTTP layer) uses: create runs, add tasks, cancel, restart, read state and
/// use run data. Every call is scoped by org; ids of another org behave as missing.
/// </summary>
public interface IOrchestrationClient
{
    /// <summary>Read access to runs, tasks, attempts, run data and events.</summary>
    IOrchestrationQueries Queries { get; }

    /// <summary>
    /// Validates and creates one run. Throws <see cref="OrchestrationValidationException"/> for a bad graph (unknown
    /// dependency, duplicate name, cycle) before writing anything. With an idempotency key already used in the org,
    /// returns the first run and <see cref="CreateRunResult.Created"/> false; likewise with a <see cref="RunSpec.Unique"/>
    /// rule whose key is held by a blocking run, or <see cref="UniqueConflictException"/> when the rule asks for
    /// <see cref="OnDuplicate.Conflict"/>.
    /// </summary>
    Task<CreateRunResult> CreateRunAsync(RunSpec spec, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates many runs in as few transactions as the store allows (bulk enqueue). Validates all before writing any. A
    /// duplicate by idempotency key or unique rule comes back with <see cref="CreateRunResult.Created"/> false, never as a
    /// <see cref="UniqueConflictException"/>, so one conflict does not hide what became of the others.
    /// </summary>
    Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<RunSpec> specs, CancellationToken cancellationToken = default);

    /// <summary>Adds a task to an existing run; see <see cref="AddTaskStatus"/> for refusals.</summary>
    Task<AddTaskResult> AddTaskAsync(string orgId, Guid runId, TaskSpec task, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a task to a run created by <paramref name="family"/>; a run of another family is not found
    /// (<see cref="AddTaskStatus.RunNotFound"/>), as another org's would be. API families call this one.
    /// </summary>
    Task<AddTaskResult> AddTaskAsync(string orgId, string family, Guid runId, TaskSpec task, CancellationToken cancellationToken = default);

    /// <summary>
    /// Approves or rejects a task awaiting approval (type <see cref="TaskTypes.Approval"/>). Throws
    /// <see cref="OrchestrationValidationException"/> for a rejection without comments, a missing reviewer, or neither
    /// task id nor name; see <see cref="ReviewTaskStatus"/> for the rest.
    /// </summary>
    Task<ReviewTaskResult> ReviewTaskAsync(ReviewTaskParams review, CancellationToken cancellationToken = default);

    /// <summary>Cancels a run; running handlers see their token fire.</summary>
    Task<RunCommandStatus> CancelRunAsync(string orgId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>Restarts a failed or cancelled run; only its failed, cancelled and skipped tasks run again.</summary>
    Task<RunCommandStatus> RestartRunAsync(string orgId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>Runs a completed run again from its start: every task runs again (their earlier attempts stay as history).</summary>
    Task<RunCommandStatus> RerunRunAsync(string orgId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs one failed task again with a fresh attempt budget; the tasks its failure skipped downstream run after it, and
    /// a failed run runs again. See <see cref="IOrchestrationStore.RetryTaskAsync"/> for the rules.
    /// </summary>
    Task<RunCommandStatus> RetryTaskAsync(RetryTaskParams retry, CancellationToken cancellationToken = default);

    /// <summary>Client update of a run (status on open runs only).</summary>
    Task<RunCommandStatus> UpdateRunAsync(UpdateRunParams update, CancellationToken cancellationToken = default);

    /// <summary>Client update of a task.</summary>
    Task<RunCommandStatus> UpdateTaskAsync(UpdateTaskParams update, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until the run reaches a terminal status and returns it; null when the run does not exist in the org.
    /// Checks on every store wake-up and at least every <paramref name="pollInterval"/> (default 100 ms).
    /// </summary>
    Task<Run?> WaitForRunAsync(string orgId, Guid runId, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a run-data entry; null when the run is not found.</summary>
    Task<RunDataEntry?> PutRunDataAsync(string orgId, Guid runId, RunDataSpec entry, CancellationToken cancellationToken = default);

    /// <summary>Deletes run data by key or id; returns how many entries were deleted.</summary>
    Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken = default);

    /// <summary>Changes an entry's tags; null when not found.</summary>
    Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken = default);
}
