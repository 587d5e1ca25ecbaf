using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace Orchestration.Core.Tests.Runtime;

/// <summary>
/// A fake clock that records the due time of every timer created on it and calls <paramref name="created"/> once the
/// timer is armed. Advancing the clock only after the code under test has armed its next timer removes the race where
/// the test moves the clock past a deadline the code has not started waiting for yet.
/// </summary>
internal sealed class TimerWatchingTimeProvider(DateTimeOffset start, Action created) : FakeTimeProvider(start)
{
    public ConcurrentQueue<TimeSpan> DueTimes { get; } = new();

    public int Created(TimeSpan dueTime) => DueTimes.Count(d => d == dueTime);

    /// <summary>Called with each timer's due time as it is armed, before the change signal: lets a test note what the
    /// code under test had done by the time it began to wait.</summary>
    public Action<TimeSpan>? Armed { get; set; }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        DueTimes.Enqueue(dueTime);
        Armed?.Invoke(dueTime);
        created();
        return timer;
    }
}
