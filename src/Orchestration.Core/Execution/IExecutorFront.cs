using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>
/// The one way executors reach the engine: the in-process runtime and both HTTP executor protocols claim, heartbeat,
/// complete and fail through it. A claim hands each task out with its <see cref="TaskLease"/>; every later call
/// presents that lease and applies only while it still holds, so a lost executor can never write. Calls are batches,
/// so the runtime keeps its group commit; the remote protocols pass one item. The protocol a call comes from decides
/// which counters of the <c>Orchestration</c> meter it adds to.
/// </summary>
public interface IExecutorFront
{
    /// <summary>
    /// Claims up to <see cref="ClaimTasksParams.Max"/> ready tasks for <paramref name="protocol"/>'s executor, each with
    /// its lease; empty when none is ready.
    /// </summary>
    Task<IReadOnlyList<LeasedTask>> ClaimAsync(ClaimTasksParams claim, ExecutorProtocol protocol, CancellationToken cancellationToken);

    /// <summary>
    /// The lease of a task as its holder's: present only while the task runs and, when <paramref name="executorId"/> is
    /// given, only if that executor holds it. For protocols whose wire names the executor, not the lease.
    /// </summary>
    TaskLease? LeaseOf(TaskRun task, string? executorId);

    /// <summary>Extends each lease by <paramref name="leaseDuration"/>; one outcome per lease, in order (cancelled and lost leases are not extended).</summary>
    Task<IReadOnlyList<HeartbeatResult>> HeartbeatAsync(IReadOnlyList<TaskLease> leases, TimeSpan leaseDuration, CancellationToken cancellationToken);

    /// <summary>Completes each task whose lease still holds; one result per item, in order, saying whether it applied.</summary>
    Task<IReadOnlyList<TaskWriteResult>> CompleteAsync(IReadOnlyList<TaskCompletion> completions, ExecutorReport report, CancellationToken cancellationToken);

    /// <summary>Fails (or sends to retry) each task whose lease still holds; one result per item, in order.</summary>
    Task<IReadOnlyList<TaskWriteResult>> FailAsync(IReadOnlyList<TaskFailure> failures, ExecutorReport report, CancellationToken cancellationToken);

    /// <summary>
    /// Fails for good an attempt that ran past its task's timeout. A remote attempt has no in-process timer, so the
    /// protocol ends it when it notices; this is the engine's decision, not the executor's report, and is not counted as one.
    /// </summary>
    Task<TaskWriteResult> FailTimedOutAsync(TaskLease lease, string errorJson, CancellationToken cancellationToken);

    /// <summary>Gives leases back unfinished (shutdown), so the tasks are claimable at once; returns how many were released.</summary>
    Task<int> ReleaseAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken);
}

/// <summary>Which executor protocol a call comes from; decides the counters it adds to.</summary>
public enum ExecutorProtocol
{
    /// <summary>The in-process runtime of a host (not counted in the protocol counters).</summary>
    InProcess,

    /// <summary>The generic task protocol (<c>/api/v1/tasks/claim</c> and the lease-token calls).</summary>
    TaskProtocol,

    /// <summary>The job queue API's executor calls (<c>/api/v1/jobs/claim</c> and the executor-named calls).</summary>
    JobQueue,
}

/// <summary>A claimed task and the lease every later call for it presents. The task carries no lease token: handlers never need one.</summary>
public sealed record LeasedTask(TaskRun Task, TaskLease Lease);

/// <summary>Who reports a result: the protocol, and for the job queue's duration histogram when the attempt started.</summary>
/// <param name="Protocol">The protocol the report comes from.</param>
/// <param name="AttemptStartedAt">When the reported attempt started, if known.</param>
public readonly record struct ExecutorReport(ExecutorProtocol Protocol, DateTimeOffset? AttemptStartedAt = null)
{
    /// <summary>A report of the in-process runtime.</summary>
    public static ExecutorReport InProcess => new(ExecutorProtocol.InProcess);
}
