using Orchestration.Domain;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Runtime;

/// <summary>
/// Wraps the in-memory store and fires <see cref="Changed"/> after every write, so tests wait for a condition by
/// re-checking it on each change instead of sleeping or polling on a timer.
/// </summary>
internal sealed class ObservedStore(InMemoryStore inner, TimeProvider time, WorkSignal changed) : IOrchestrationStore
{
    public InMemoryStore Inner { get; } = inner;
    public WorkSignal Changed { get; } = changed;
    public StoreCapabilities Capabilities => Inner.Capabilities;
    public WorkSignal WorkAvailable => Inner.WorkAvailable;
    public WorkSignal TasksCancelled => Inner.TasksCancelled;

    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var version = Changed.Version;
            if (await condition()) return;
            try
            {
                await Changed.WaitAsync(version, TimeSpan.FromSeconds(20), TimeProvider.System, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }
        }
    }

    public Task WaitForRunAsync(Guid runId, RunStatus status) =>
        WaitUntilAsync(async () => (await Inner.GetRunAsync(Org.DefaultId, runId, CancellationToken.None))?.Status == status, $"run {runId} to be {status}");

    private async Task<T> Observe<T>(Task<T> operation)
    {
        var result = await operation;
        Changed.Notify();
        return result;
    }

    public Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<CreateRunParams> runs, CancellationToken cancellationToken) => Observe(Inner.CreateRunsAsync(runs, cancellationToken));
    public Task<AddTaskResult> AddTaskAsync(AddTaskParams parameters, CancellationToken cancellationToken) => Observe(Inner.AddTaskAsync(parameters, cancellationToken));
    /// <summary>How many tasks each claim call returned, in call order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<int> ClaimSizes { get; } = new();

    /// <summary>Every claim call, failed ones included.</summary>
    public int ClaimCalls => Volatile.Read(ref _claimCalls);

    private int _claimCalls;

    private int _claimFailuresLeft;

    /// <summary>Makes the next <paramref name="count"/> claim calls throw, as a store outage would.</summary>
    public void FailNextClaims(int count) => Volatile.Write(ref _claimFailuresLeft, count);

    public async Task<IReadOnlyList<TaskRun>> ClaimTasksAsync(ClaimTasksParams parameters, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _claimCalls);
        int left;
        do left = Volatile.Read(ref _claimFailuresLeft);
        while (left > 0 && Interlocked.CompareExchange(ref _claimFailuresLeft, left - 1, left) != left);
        if (left > 0)
        {
            Changed.Notify();
            throw new InvalidOperationException("store unavailable");
        }

        var claimed = await Inner.ClaimTasksAsync(parameters, cancellationToken);
        if (claimed.Count > 0) ClaimSizes.Enqueue(claimed.Count);
        Changed.Notify();
        return claimed;
    }
    /// <summary>Every heartbeat call in call order: how many leases it carried and the store's clock when it came.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(int Leases, DateTimeOffset At)> Heartbeats { get; } = new();

    public async Task<IReadOnlyList<HeartbeatResult>> HeartbeatTasksAsync(HeartbeatTasksParams parameters, CancellationToken cancellationToken)
    {
        Heartbeats.Enqueue((parameters.Leases.Count, time.GetUtcNow()));
        return await Observe(Inner.HeartbeatTasksAsync(parameters, cancellationToken));
    }
    private TaskCompletionSource? _completionGate;

    /// <summary>
    /// Holds every completion write until the returned source is completed, as a store that stalls under a write would:
    /// handlers finish, but none of their results becomes durable.
    /// </summary>
    public TaskCompletionSource HoldCompletions()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _completionGate, gate);
        return gate;
    }

    /// <summary>Completion writes that have reached the store (held ones included).</summary>
    public int CompletionCalls => Volatile.Read(ref _completionCalls);

    private int _completionCalls;

    public async Task<IReadOnlyList<TaskWriteResult>> CompleteTasksAsync(IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _completionCalls);
        Changed.Notify();
        if (Volatile.Read(ref _completionGate) is { } gate) await gate.Task.WaitAsync(cancellationToken);
        return await Observe(Inner.CompleteTasksAsync(completions, cancellationToken));
    }
    public Task<IReadOnlyList<TaskWriteResult>> FailTasksAsync(IReadOnlyList<TaskFailure> failures, CancellationToken cancellationToken) => Observe(Inner.FailTasksAsync(failures, cancellationToken));
    public Task<int> ReleaseTasksAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken) => Observe(Inner.ReleaseTasksAsync(leases, cancellationToken));
    public Task<int> ReleaseExpiredLeasesAsync(int limit, CancellationToken cancellationToken) => Observe(Inner.ReleaseExpiredLeasesAsync(limit, cancellationToken));
    public Task<int> FailTimedOutRunsAsync(int limit, CancellationToken cancellationToken) => Observe(Inner.FailTimedOutRunsAsync(limit, cancellationToken));
    public Task<RunCommandStatus> CancelRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) => Observe(Inner.CancelRunAsync(orgId, runId, cancellationToken));

    public Task<ReviewTaskResult> ReviewTaskAsync(ReviewTaskParams review, CancellationToken cancellationToken) => Observe(Inner.ReviewTaskAsync(review, cancellationToken));
    public Task<RunCommandStatus> RestartRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) => Observe(Inner.RestartRunAsync(orgId, runId, cancellationToken));

    public Task<RunCommandStatus> RerunRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) => Observe(Inner.RerunRunAsync(orgId, runId, cancellationToken));

    public Task<RunCommandStatus> RetryTaskAsync(RetryTaskParams retry, CancellationToken cancellationToken) => Observe(Inner.RetryTaskAsync(retry, cancellationToken));
    public Task<RunCommandStatus> UpdateOpenRunAsync(UpdateRunParams parameters, CancellationToken cancellationToken) => Observe(Inner.UpdateOpenRunAsync(parameters, cancellationToken));
    public Task<RunCommandStatus> UpdateTaskByClientAsync(UpdateTaskParams parameters, CancellationToken cancellationToken) => Observe(Inner.UpdateTaskByClientAsync(parameters, cancellationToken));
    public Task<RunDataEntry?> PutRunDataAsync(PutRunDataParams parameters, CancellationToken cancellationToken) => Observe(Inner.PutRunDataAsync(parameters, cancellationToken));
    public Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken) => Observe(Inner.DeleteRunDataAsync(parameters, cancellationToken));
    public Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken) => Observe(Inner.ChangeRunDataTagsAsync(parameters, cancellationToken));
}
