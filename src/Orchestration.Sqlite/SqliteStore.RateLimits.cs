using System.Globalization;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Per-key rate limits (NewTask.LimitMaxStarts, migration 0013): at most M starts of a key per fixed window aligned to the
// Unix epoch. key_rates holds one row per rate-limited key (its current window and the starts counted in it): the claim
// reads it with one seek per key that has waiting work, and counts what it claimed in the same transaction, so the
// single writer makes the check and the count one step. A key whose window is used up arms the wake-up for the window's
// end, when its tasks become claimable again without a poll.
public sealed partial class SqliteStore
{
    internal readonly record struct RateWindow(int MaxStarts, long StartMs, long LengthMs)
    {
        public DateTimeOffset End => DateTimeOffset.FromUnixTimeMilliseconds(StartMs + LengthMs);
    }

    // How many more tasks of the key may start in the current window (0 when it is used up: the wake is armed then).
    private static int RateRoom(WriteTx tx, string key, int maxStarts, long windowMs, Dictionary<string, RateWindow> rates)
    {
        var nowMs = tx.Now.ToUnixTimeMilliseconds();
        var window = new RateWindow(maxStarts, nowMs - (nowMs % windowMs), windowMs);
        rates[key] = window;
        var started = tx.RawDb.Scalar(SqliteSql.StartsInWindow, key, window.StartMs) is long n ? (int)n : 0;
        var room = maxStarts - started;
        if (room <= 0) tx.WakeRetryAt(window.End);
        return room;
    }

    // Counts the claimed tasks of rate-limited keys in their key's window; the claim that uses a window up arms the wake.
    private static void CountStarts(WriteTx tx, List<TaskRow> picked, Dictionary<string, RateWindow> rates)
    {
        Dictionary<string, int>? counts = null;
        foreach (var t in picked)
        {
            if (t.LimitKey is not { } key || !rates.ContainsKey(key)) continue;
            counts ??= new(StringComparer.Ordinal);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        if (counts is null) return;
        foreach (var (key, n) in counts)
        {
            var window = rates[key];
            var starts = Convert.ToInt32(tx.RawDb.Scalar(SqliteSql.CountStarts, key, window.StartMs, n), CultureInfo.InvariantCulture);
            if (starts >= window.MaxStarts) tx.WakeRetryAt(window.End);
        }
    }
}
