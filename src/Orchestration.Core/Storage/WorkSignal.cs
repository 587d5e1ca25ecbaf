namespace Orchestration.Storage;

/// <summary>
/// An in-process broadcast signal with a version. A waiter reads <see cref="Version"/> before it looks for work and
/// passes it to <see cref="WaitAsync"/>; a notification that happened in between returns at once, so no wake-up is
/// ever lost in the gap between "found nothing" and "started waiting". <see cref="Notify"/> wakes every waiter.
/// </summary>
public sealed class WorkSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = NewSource();
    private long _version;
    private volatile bool _reliable;

    /// <summary>
    /// True while every wake-up that matters, including those caused by other processes sharing the store, reaches this
    /// signal (a Postgres host while its LISTEN connection is up). Waiters may then use a long safety poll
    /// (<see cref="Execution.WorkerOptions.ListeningPollInterval"/>) instead of the short one. False by default: a
    /// signal that may miss wake-ups is backed by the short poll.
    /// </summary>
    public bool Reliable
    {
        get => _reliable;
        set => _reliable = value;
    }

    /// <summary>Increases on every notification.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Wakes every waiter and advances the version.</summary>
    public void Notify()
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            _version++;
            fired = _next;
            _next = NewSource();
        }

        fired.TrySetResult();
    }

    /// <summary>
    /// Returns when the version moves past <paramref name="seenVersion"/>, when <paramref name="maxWait"/> passes
    /// (the safety poll, not an error), or throws when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task WaitAsync(long seenVersion, TimeSpan maxWait, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_gate)
        {
            if (_version != seenVersion) return;
            signal = _next.Task;
        }

        try
        {
            await signal.WaitAsync(maxWait, timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The safety poll.
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
