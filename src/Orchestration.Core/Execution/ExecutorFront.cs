using Orchestration.Diagnostics;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>
/// <see cref="IExecutorFront"/> over the store's intent-named, lease-fenced calls. Stateless: it adds what every
/// executor needs around the store (the lease taken out of the task, the protocol counters) and nothing that would
/// cost the runtime's batches a round trip.
/// </summary>
internal sealed class ExecutorFront : IExecutorFront
{
    private readonly IOrchestrationStore _store;
    private readonly TimeProvider _time;
    private readonly FairnessOptions? _fairness;

    public ExecutorFront(IOrchestrationStore store, TimeProvider time)
        : this(store, time, null)
    {
    }

    public ExecutorFront(IOrchestrationStore store, TimeProvider time, IOptions<EngineOptions>? engine)
    {
        _store = store;
        _time = time;
        _fairness = engine?.Value.Fairness is { Enabled: true } f ? f : null;
    }

    public async Task<IReadOnlyList<LeasedTask>> ClaimAsync(ClaimTasksParams claim, ExecutorProtocol protocol, CancellationToken cancellationToken)
    {
        // A claim scoped to one org (every remote executor's) has nothing to share; the in-process worker's is shared.
        if (_fairness is not null && claim.OrgId is null && claim.Fairness is null) claim = claim with { Fairness = _fairness };
        if (!claim.LeaseTokensApart) claim = claim with { LeaseTokensApart = true };
        var claimed = await _store.ClaimTasksAsync(claim, cancellationToken);
        if (claimed.Count == 0) return [];

        var leased = new LeasedTask[claimed.Count];
        if (claimed is LeaseFreeClaim apart)
        {
            for (var i = 0; i < leased.Length; i++) leased[i] = new LeasedTask(apart[i], new TaskLease(apart[i].Id, apart.LeaseTokens[i]));
        }
        else
        {
            for (var i = 0; i < leased.Length; i++)
            {
                var task = claimed[i];
                leased[i] = new LeasedTask(task with { LeaseToken = null }, new TaskLease(task.Id, task.LeaseToken!.Value));
            }
        }

        var counter = protocol switch
        {
            ExecutorProtocol.JobQueue => OrchestrationMetrics.JobsClaimed,
            ExecutorProtocol.TaskProtocol => OrchestrationMetrics.TasksClaimed,
            _ => null,
        };
        counter?.Add(leased.Length);
        return leased;
    }

    public TaskLease? LeaseOf(TaskRun task, string? executorId)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task is not { Status: TaskRunStatus.Running, LeaseToken: { } token }) return null;
        if (executorId is not null && !string.Equals(task.ExecutorId, executorId, StringComparison.Ordinal)) return null;
        return new TaskLease(task.Id, token);
    }

    public Task<IReadOnlyList<HeartbeatResult>> HeartbeatAsync(IReadOnlyList<TaskLease> leases, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
        _store.HeartbeatTasksAsync(new HeartbeatTasksParams(leases, leaseDuration), cancellationToken);

    public async Task<IReadOnlyList<TaskWriteResult>> CompleteAsync(IReadOnlyList<TaskCompletion> completions, ExecutorReport report, CancellationToken cancellationToken)
    {
        var results = await _store.CompleteTasksAsync(completions, cancellationToken);
        Count(results, report, report.Protocol == ExecutorProtocol.JobQueue ? OrchestrationMetrics.JobsCompleted : OrchestrationMetrics.TasksCompleted);
        return results;
    }

    public async Task<IReadOnlyList<TaskWriteResult>> FailAsync(IReadOnlyList<TaskFailure> failures, ExecutorReport report, CancellationToken cancellationToken)
    {
        var results = await _store.FailTasksAsync(failures, cancellationToken);
        Count(results, report, report.Protocol == ExecutorProtocol.JobQueue ? OrchestrationMetrics.JobsFailed : OrchestrationMetrics.TasksFailed);
        return results;
    }

    public async Task<TaskWriteResult> FailTimedOutAsync(TaskLease lease, string errorJson, CancellationToken cancellationToken) =>
        (await _store.FailTasksAsync([new TaskFailure(lease, errorJson, Retryable: false)], cancellationToken))[0];

    public Task<int> ReleaseAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken) =>
        _store.ReleaseTasksAsync(leases, cancellationToken);

    // Only applied writes count: a report refused for a lost lease changed nothing. The in-process runtime's results
    // are not protocol traffic and are left to the engine's own counters.
    private void Count(IReadOnlyList<TaskWriteResult> results, ExecutorReport report, System.Diagnostics.Metrics.Counter<long> counter)
    {
        if (report.Protocol == ExecutorProtocol.InProcess) return;
        var applied = 0;
        foreach (var r in results)
        {
            if (r.Applied) applied++;
        }

        if (applied == 0) return;
        counter.Add(applied);
        if (report is { Protocol: ExecutorProtocol.JobQueue, AttemptStartedAt: { } started })
            OrchestrationMetrics.JobDuration.Record(Math.Max(0, (_time.GetUtcNow() - started).TotalSeconds));
    }
}
