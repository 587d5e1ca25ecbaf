using System.Diagnostics;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>One outstanding sample at a time: armed before the enqueue, hit by the handler as its first action.</summary>
internal sealed class LatencyProbe
{
    private TaskCompletionSource<long> _hit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<long> Arm()
    {
        _hit = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _hit.Task;
    }

    public void Hit() => _hit.TrySetResult(Stopwatch.GetTimestamp());

    public static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    public static readonly TimeSpan SampleTimeout = TimeSpan.FromSeconds(30);
}
