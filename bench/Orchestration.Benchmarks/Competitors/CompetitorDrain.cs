namespace Orchestration.Benchmarks.Competitors;

/// <summary>
/// A competitor's enqueue-then-drain measurement. <see cref="Completed"/> can be below <see cref="Enqueued"/> when the
/// time budget ran out; the rates then cover what completed, and the report says so.
/// </summary>
internal sealed record CompetitorDrain(int Enqueued, TimeSpan Enqueue, long Completed, TimeSpan Drain, bool WithinBudget, TimeSpan EnqueueCpu, TimeSpan DrainCpu)
{
    public double EnqueueCpuMicros => EnqueueCpu.TotalMicroseconds / Enqueued;
    public double DrainCpuMicros => DrainCpu.TotalMicroseconds / Math.Max(1, Completed);

    public double EnqueueRate => Enqueued / Enqueue.TotalSeconds;
    public double DrainRate => Completed / Drain.TotalSeconds;
    public double EndToEndRate => WithinBudget ? Enqueued / (Enqueue + Drain).TotalSeconds : double.NaN;
}

/// <summary>Counts handler calls of a competitor's job and arms single latency samples. Jobs reach it statically.</summary>
internal static class CompetitorProbe
{
    private static long _count;
    private static long _target = long.MaxValue;
    private static TaskCompletionSource<long> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Scenarios.LatencyProbe Latency { get; } = new();

    public static long Count => Interlocked.Read(ref _count);

    public static Task<long> Reset(long target)
    {
        _reached = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _count, 0);
        Volatile.Write(ref _target, target);
        return _reached.Task;
    }

    public static void Done()
    {
        if (Interlocked.Increment(ref _count) == Volatile.Read(ref _target)) _reached.TrySetResult(System.Diagnostics.Stopwatch.GetTimestamp());
    }
}
