using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Benchmarks.Engine;

/// <summary>
/// Counts what the engine asks of its store: how many calls, how many items per call, and how many completions
/// were durably applied. The harness ends a drain on the last applied completion (not on the last handler call),
/// so the figure includes the final group commit; batch sizes are the first thing to look at when a figure is low.
/// </summary>
internal sealed class InstrumentedStore(IOrchestrationStore inner) : IOrchestrationStore
{
    private long _claimCalls, _claimed, _emptyClaims, _completeCalls, _completed, _failCalls, _failed, _createCalls, _heartbeatCalls;
    private long _target = long.MaxValue;
    private TaskCompletionSource<long> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called after every applied completion batch with the running total (worker processes report progress with it).</summary>
    public Action<long>? OnCompleted { get; set; }

    public long ClaimCalls => Interlocked.Read(ref _claimCalls);
    public long Claimed => Interlocked.Read(ref _claimed);
    public long EmptyClaims => Interlocked.Read(ref _emptyClaims);
    public long CompleteCalls => Interlocked.Read(ref _completeCalls);
    public long Completed => Interlocked.Read(ref _completed);
    public long FailCalls => Interlocked.Read(ref _failCalls);
    public long Failed => Interlocked.Read(ref _failed);
    public long CreateCalls => Interlocked.Read(ref _createCalls);
    public long HeartbeatCalls => Interlocked.Read(ref _heartbeatCalls);

    /// <summary>Completes (with the Stopwatch timestamp) once <paramref name="completed"/> completions have applied in total.</summary>
    public Task<long> WhenCompleted(long completed)
    {
        _reached = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _target, completed);
        if (Completed >= completed) _reached.TrySetResult(Stopwatch.GetTimestamp());
        return _reached.Task;
    }

    public StoreCapabilities Capabilities => inner.Capabilities;
    public WorkSignal WorkAvailable => inner.WorkAvailable;
    public WorkSignal TasksCancelled => inner.TasksCancelled;

    public Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<CreateRunParams> runs, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _createCalls);
        return inner.CreateRunsAsync(runs, cancellationToken);
    }

    public Task<AddTaskResult> AddTaskAsync(AddTaskParams parameters, CancellationToken cancellationToken) => inner.AddTaskAsync(parameters, cancellationToken);

    public async Task<IReadOnlyList<TaskRun>> ClaimTasksAsync(ClaimTasksParams parameters, CancellationToken cancellationToken)
    {
        var claimed = await inner.ClaimTasksAsync(parameters, cancellationToken);
        Interlocked.Increment(ref _claimCalls);
        if (claimed.Count == 0) Interlocked.Increment(ref _emptyClaims);
        Interlocked.Add(ref _claimed, claimed.Count);
        return claimed;
    }

    public Task<IReadOnlyList<HeartbeatResult>> HeartbeatTasksAsync(HeartbeatTasksParams parameters, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _heartbeatCalls);
        return inner.HeartbeatTasksAsync(parameters, cancellationToken);
    }

    public async Task<IReadOnlyList<TaskWriteResult>> CompleteTasksAsync(IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken)
    {
        var results = await inner.CompleteTasksAsync(completions, cancellationToken);
        var applied = 0;
        foreach (var r in results) if (r.Applied) applied++;
        Interlocked.Increment(ref _completeCalls);
        var total = Interlocked.Add(ref _completed, applied);
        OnCompleted?.Invoke(total);
        if (total >= Volatile.Read(ref _target)) _reached.TrySetResult(Stopwatch.GetTimestamp());
        return results;
    }

    public async Task<IReadOnlyList<TaskWriteResult>> FailTasksAsync(IReadOnlyList<TaskFailure> failures, CancellationToken cancellationToken)
    {
        var results = await inner.FailTasksAsync(failures, cancellationToken);
        Interlocked.Increment(ref _failCalls);
        Interlocked.Add(ref _failed, failures.Count);
        return results;
    }

    public Task<int> ReleaseTasksAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken) => inner.ReleaseTasksAsync(leases, cancellationToken);
    public Task<int> ReleaseExpiredLeasesAsync(int limit, CancellationToken cancellationToken) => inner.ReleaseExpiredLeasesAsync(limit, cancellationToken);
    public Task<int> FailTimedOutRunsAsync(int limit, CancellationToken cancellationToken) => inner.FailTimedOutRunsAsync(limit, cancellationToken);
    public Task<RunCommandStatus> CancelRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) => inner.CancelRunAsync(orgId, runId, cancellationToken);

    public Task<ReviewTaskResult> ReviewTaskAsync(ReviewTaskParams review, CancellationToken cancellationToken) => inner.ReviewTaskAsync(review, cancellationToken);
    public Task<RunCommandStatus> RestartRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) => inner.RestartRunAsync(orgId, runId, cancellationToken);
    public Task<RunCommandStatus> RerunRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) => inner.RerunRunAsync(orgId, runId, cancellationToken);
    public Task<RunCommandStatus> RetryTaskAsync(RetryTaskParams retry, CancellationToken cancellationToken) => inner.RetryTaskAsync(retry, cancellationToken);
    public Task<RunCommandStatus> UpdateOpenRunAsync(UpdateRunParams parameters, CancellationToken cancellationToken) => inner.UpdateOpenRunAsync(parameters, cancellationToken);
    public Task<RunCommandStatus> UpdateTaskByClientAsync(UpdateTaskParams parameters, CancellationToken cancellationToken) => inner.UpdateTaskByClientAsync(parameters, cancellationToken);
    public Task<RunDataEntry?> PutRunDataAsync(PutRunDataParams parameters, CancellationToken cancellationToken) => inner.PutRunDataAsync(parameters, cancellationToken);
    public Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken) => inner.DeleteRunDataAsync(parameters, cancellationToken);
    public Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken) => inner.ChangeRunDataTagsAsync(parameters, cancellationToken);

    /// <summary>Wraps whatever <see cref="IOrchestrationStore"/> registration the store's <c>UseX</c> added, keeping its lifetime.</summary>
    public static void Decorate(IServiceCollection services)
    {
        var original = services.LastOrDefault(d => d.ServiceType == typeof(IOrchestrationStore))
            ?? throw new InvalidOperationException("no IOrchestrationStore registered");
        services.Remove(original);
        services.AddSingleton(sp => new InstrumentedStore(Resolve(sp, original)));
        services.AddSingleton<IOrchestrationStore>(sp => sp.GetRequiredService<InstrumentedStore>());
    }

    private static IOrchestrationStore Resolve(IServiceProvider sp, ServiceDescriptor d)
    {
        if (d.ImplementationInstance is IOrchestrationStore instance) return instance;
        if (d.ImplementationFactory is { } factory) return (IOrchestrationStore)factory(sp);
        if (d.ImplementationType is { } type) return (IOrchestrationStore)ActivatorUtilities.GetServiceOrCreateInstance(sp, type);
        throw new InvalidOperationException("unsupported IOrchestrationStore registration");
    }
}
