using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// The write side of a storage back end. Every operation is atomic (one transaction), records its events in that
/// same transaction, and reports whether it applied. Batch operations fence every item separately: one lost lease
/// never stops the others. Implementations take the current time from their own clock (the injected
/// <see cref="TimeProvider"/>, or the database's clock where <see cref="StoreCapabilities.DatabaseClock"/>).
/// </summary>
public interface IOrchestrationStore
{
    /// <summary>What this back end can do; tests and the engine branch on these, never on the type.</summary>
    StoreCapabilities Capabilities { get; }

    /// <summary>
    /// Creates runs with their task graphs (bulk enqueue). Each run is inserted whole or not at all; a run whose
    /// idempotency key already exists in its org is not written and its earlier run is returned with
    /// <see cref="CreateRunResult.Created"/> false; likewise a run with a <see cref="CreateRunParams.Unique"/> rule whose key
    /// (in its org and <see cref="NewRun.UniqueScopeOf"/>) is held by a run that blocks by that rule, decided atomically
    /// against concurrent creates on any host, with no release step when the holder finishes. Tasks without unfinished
    /// dependencies start queued. Graphs are validated by the engine before this call.
    /// </summary>
    Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<CreateRunParams> runs, CancellationToken cancellationToken);

    /// <summary>
    /// Adds one task to an existing, unfinished run (open runs; child tasks of running handlers in managed runs). Its
    /// dependencies count against tasks already in the run: completed ones are satisfied, failed or skipped ones make the
    /// new task skipped. A finished run (completed, failed, cancelled) answers <see cref="AddTaskStatus.RunFinished"/>;
    /// a run of another org, or of another family than <see cref="AddTaskParams.Family"/>, is not found.
    /// </summary>
    Task<AddTaskResult> AddTaskAsync(AddTaskParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <see cref="ClaimTasksParams.Max"/> claimable tasks (queued, or retrying whose retry time has come),
    /// highest priority first, then oldest; honours per-run and per-type concurrency limits. With
    /// <see cref="ClaimTasksParams.Fairness"/> enabled and no org filter, the claim is first shared between the orgs with
    /// queued tasks without a key by their weights (<see cref="FairShare"/>), each org's share in its own claim order, and
    /// what the shares leave unused is filled in plain claim order. Each claimed task becomes
    /// running with a fresh lease token, attempt + 1, and a new attempt record. A task is never returned to two
    /// concurrent callers. An empty list means nothing was claimable.
    /// </summary>
    Task<IReadOnlyList<TaskRun>> ClaimTasksAsync(ClaimTasksParams parameters, CancellationToken cancellationToken);

    /// <summary>Extends leases that are still held. See <see cref="HeartbeatOutcome"/> for what each item reports.</summary>
    Task<IReadOnlyList<HeartbeatResult>> HeartbeatTasksAsync(HeartbeatTasksParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Completes tasks. Each item applies only if its task is running under that lease token; then its dependents whose
    /// last unfinished dependency it was become queued, and a managed run whose tasks are all terminal is finalised
    /// (completed, or failed if any task failed or was skipped), all in the same transaction. Results are in item order.
    /// </summary>
    Task<IReadOnlyList<TaskWriteResult>> CompleteTasksAsync(IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken);

    /// <summary>
    /// Records failed attempts. Each item applies only under its lease. A retryable failure with attempts left makes the
    /// task retrying, claimable after the policy's delay; otherwise it fails for good, its pending dependents become
    /// skipped (transitively), and a managed run whose tasks are all terminal ends failed.
    /// </summary>
    Task<IReadOnlyList<TaskWriteResult>> FailTasksAsync(IReadOnlyList<TaskFailure> failures, CancellationToken cancellationToken);

    /// <summary>
    /// Gives leases back without failing the attempt (graceful shutdown): each task still running under its token
    /// becomes queued again at once. Returns how many applied.
    /// </summary>
    Task<int> ReleaseTasksAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken);

    /// <summary>
    /// Reaps up to <paramref name="limit"/> running tasks whose lease has expired: the attempt ends as
    /// <see cref="AttemptOutcomes.LeaseExpired"/>, and the task retries or fails exactly as a retryable failure would.
    /// Returns how many were reaped. Run on one node (the leader).
    /// </summary>
    Task<int> ReleaseExpiredLeasesAsync(int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Fails up to <paramref name="limit"/> managed runs whose deadline has passed: unfinished tasks are cancelled and the
    /// run fails with <c>{"message":"run timed out"}</c>. Returns how many. Run on the leader.
    /// </summary>
    Task<int> FailTimedOutRunsAsync(int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels a run: every unfinished task becomes cancelled (running ones keep their token so their next heartbeat
    /// reports <see cref="HeartbeatOutcome.Cancelled"/>; their completions no longer apply), and the run becomes cancelled.
    /// </summary>
    Task<RunCommandStatus> CancelRunAsync(string orgId, Guid runId, CancellationToken cancellationToken);

    /// <summary>
    /// Records the review of a task awaiting approval, atomically with its outcome: approved, the task completes (its
    /// dependents and routes proceed); rejected, it fails (its failure routes proceed, and the run fails unless the task
    /// allows failure). Writes <c>task.approved</c> or <c>task.rejected</c> before the outcome's event. A task that does
    /// not await approval (already reviewed, not yet ready) answers <see cref="ReviewTaskStatus.NotAwaitingApproval"/>.
    /// </summary>
    Task<ReviewTaskResult> ReviewTaskAsync(ReviewTaskParams review, CancellationToken cancellationToken);

    /// <summary>
    /// Restarts a failed or cancelled run: its failed, cancelled and skipped tasks are reset (attempts to 0, output and
    /// error cleared) and become queued or pending by their dependencies; completed tasks are kept. The run becomes pending.
    /// </summary>
    Task<RunCommandStatus> RestartRunAsync(string orgId, Guid runId, CancellationToken cancellationToken);

    /// <summary>
    /// Runs one failed task again, in one transaction (<see cref="TaskRetryRules"/> plans it). The task gets a fresh
    /// attempt budget (attempts to 0; output, error and exit code cleared; its lease token dropped, so a late write from
    /// the old attempt is refused; its attempt rows and events kept as history) and becomes queued, or awaits approval,
    /// or waits for its routes. The tasks downstream of it that its failure skipped become pending again (a skipped task
    /// that another failure still blocks stays skipped), and the pending tasks that had counted an allowed failure of it
    /// as done wait for it again. A failed run becomes running again (pending if it never started), its deadline
    /// counted from now as a restart counts it; a running run stays running. Writes <c>task.retried</c> with the
    /// number of earlier attempts. A task that is not failed, or whose run is completed, cancelled or a finished open
    /// run, answers <see cref="RunCommandStatus.InvalidState"/>; a task or run of another org or family, or a task of
    /// another run, answers <see cref="RunCommandStatus.NotFound"/>. Nothing changes unless it applies.
    /// </summary>
    Task<RunCommandStatus> RetryTaskAsync(RetryTaskParams retry, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a completed run again from its start, in one transaction: every task is reset as <see cref="RestartRunAsync"/>
    /// resets a failed one (attempts to 0; output, error and exit code cleared; its attempt rows and events are kept as
    /// history), the tasks without dependencies or routes become queued (an approval task awaits its review again), routed
    /// tasks wait for their sources, and the run becomes pending with a <c>run.restarted</c> event. A run that is not
    /// completed answers <see cref="RunCommandStatus.InvalidState"/> and nothing changes.
    /// </summary>
    Task<RunCommandStatus> RerunRunAsync(string orgId, Guid runId, CancellationToken cancellationToken);

    /// <summary>
    /// Client update of a run (Foreman PATCH). Status changes are allowed on open runs only, and a finished open run
    /// keeps its status (<see cref="RunCommandStatus.InvalidState"/> for another one). Moving an open run to completed,
    /// failed or cancelled cancels its unfinished tasks as <see cref="CancelRunAsync"/> does, in the same transaction.
    /// A run of another org or of another family than <see cref="UpdateRunParams.Family"/> is not found.
    /// </summary>
    Task<RunCommandStatus> UpdateOpenRunAsync(UpdateRunParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Client update of a task (Foreman PATCH). Status changes apply only to tasks of open runs and never move a task
    /// out of completed, failed, cancelled or skipped (only <see cref="RestartRunAsync"/>, <see cref="RerunRunAsync"/> and
    /// <see cref="RetryTaskAsync"/> do that): both answer
    /// <see cref="RunCommandStatus.InvalidState"/> and write nothing. Otherwise timestamps follow (started on running,
    /// completed on a terminal status); completing promotes dependents and failing skips them, as executor writes do. A
    /// running task's lease is cleared. Returns <see cref="RunCommandStatus.NotFound"/> for a task of another org or of
    /// another family than <see cref="UpdateTaskParams.Family"/>.
    /// </summary>
    Task<RunCommandStatus> UpdateTaskByClientAsync(UpdateTaskParams parameters, CancellationToken cancellationToken);

    /// <summary>Adds a run-data entry. Null when the run does not exist in the caller's org.</summary>
    Task<RunDataEntry?> PutRunDataAsync(PutRunDataParams parameters, CancellationToken cancellationToken);

    /// <summary>Deletes entries by key or by id; returns how many were deleted (0 when none matched).</summary>
    Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken);

    /// <summary>Adds and removes tags of one entry; returns the updated entry, or null when it does not exist.</summary>
    Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Fires when work may have become claimable (new run, promoted dependents, released lease, retry due on another
    /// node). Read its <see cref="WorkSignal.Version"/> before claiming and wait with it after an empty claim, so no
    /// wake-up is lost. Spurious wake-ups are allowed.
    /// </summary>
    WorkSignal WorkAvailable { get; }

    /// <summary>Fires when running tasks may have been cancelled, so executors heartbeat early and stop those handlers promptly.</summary>
    WorkSignal TasksCancelled { get; }
}

/// <summary>Declared abilities of a back end.</summary>
/// <param name="SharedAcrossProcesses">Several host processes may share the store (SQLite on one machine, Postgres anywhere).</param>
/// <param name="DatabaseClock">Lease expiry and retry times come from the database's clock rather than the host's.</param>
/// <param name="Durable">Data survives a process restart.</param>
public sealed record StoreCapabilities(bool SharedAcrossProcesses, bool DatabaseClock, bool Durable);
