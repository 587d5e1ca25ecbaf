namespace Orchestration.Storage;

/// <summary>
/// Notifies a <see cref="WorkSignal"/> when a retry delay ends, so a host that is idle wakes for its own retries
/// without a tight poll. One timer per due time would be wasteful under load; one timer aimed at the earliest
/// due time is enough because the woken claimer will see every due task.
/// </summary>
public sealed class DelayedWake : IDisposable
{
    private readonly WorkSignal _signal;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private DateTimeOffset _armedFor = DateTimeOffset.MaxValue;

    /// <summary>Creates the helper.</summary>
    public DelayedWake(WorkSignal signal, TimeProvider timeProvider)
    {
        _signal = signal;
        _time = timeProvider;
    }

    /// <summary>Makes sure the signal fires no later than <paramref name="dueAt"/>.</summary>
    public void WakeAt(DateTimeOffset dueAt)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_timer is not null && _armedFor <= dueAt && _armedFor > now) return;
            _timer?.Dispose();
            _armedFor = dueAt;
            var delay = dueAt - now;
            if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
            _timer = _time.CreateTimer(static s => ((DelayedWake)s!).Fire(), this, delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fire()
    {
        lock (_gate) _armedFor = DateTimeOffset.MaxValue;
        _signal.Notify();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }
}
