using System.Diagnostics;

namespace Orchestration.Benchmarks.Reporting;

/// <summary>
/// CPU time of this process. On a shared machine wall-clock rates swing with other people's load; CPU per task is
/// the steadier figure for comparing in-process systems (it leaves out a database server's own CPU).
/// </summary>
public static class CpuTime
{
    public static TimeSpan Now
    {
        get
        {
            using var self = Process.GetCurrentProcess();
            return self.TotalProcessorTime;
        }
    }
}

/// <summary>Garbage collections between two points, for the notes next to a figure.</summary>
public readonly record struct GcSnapshot(int Gen0, int Gen1, int Gen2, TimeSpan Pause, long Allocated)
{
    public static GcSnapshot Now => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    public string Since(GcSnapshot before, long items) =>
        $"GC {Gen0 - before.Gen0}/{Gen1 - before.Gen1}/{Gen2 - before.Gen2} (gen0/1/2), pause {(Pause - before.Pause).TotalMilliseconds:F0} ms, {(Allocated - before.Allocated) / (double)Math.Max(1, items):F0} B/task";
}
