namespace Orchestration.Execution;

/// <summary>
/// How much the executor runtime claims and when, as pure arithmetic over its counters, so the rules that size the
/// read-ahead are pinned by exact tests rather than only by their effect on throughput.
/// </summary>
internal static class ClaimSizing
{
    /// <summary>No handler duration measured yet.</summary>
    public const long Unmeasured = -1;

    /// <summary>
    /// Handler slots plus the read-ahead: as many tasks as the handlers are expected to start within the prefetch
    /// window, judged by the running average of handler durations. Slow or not-yet-measured handlers get no read-ahead,
    /// so a host never sits on work that another idle host could be running; fast ones get up to a whole claim batch,
    /// so the store sees few, large claims instead of one small claim per freed slot.
    /// </summary>
    public static int Capacity(int maxConcurrency, int claimBatchSize, long averageHandlerTicks, double prefetchWindowTicks)
    {
        if (averageHandlerTicks < 0 || prefetchWindowTicks <= 0) return maxConcurrency;
        var ahead = maxConcurrency * prefetchWindowTicks / Math.Max(1, averageHandlerTicks);
        return maxConcurrency + (int)Math.Min(claimBatchSize, ahead);
    }

    /// <summary>
    /// Claim when a worthwhile batch fits (a quarter of what the host can hold), or when any slot is free and nothing
    /// is buffered for it (slow handlers).
    /// </summary>
    public static bool ShouldClaim(int room, int claimBatchSize, int capacity, int buffered) =>
        room >= Math.Max(1, Math.Min(claimBatchSize, capacity) / 4) || (room >= 1 && buffered == 0);

    /// <summary>The running average of handler durations after one more: an eighth of the way towards it.</summary>
    public static long NextAverage(long average, long ticks) => average < 0 ? ticks : average + (ticks - average) / 8;
}
