namespace Orchestration.Storage;

/// <summary>
/// The fixed rate window of a key at an instant: windows of the key's length aligned to the Unix epoch, so every host
/// and every store computes the same window from the same clock without sharing a start time.
/// </summary>
internal readonly record struct KeyRateWindow(long StartMs, long LengthMs)
{
    /// <summary>When the next window opens.</summary>
    public DateTimeOffset End => DateTimeOffset.FromUnixTimeMilliseconds(StartMs + LengthMs);

    /// <summary>The window holding <paramref name="now"/> for windows of <paramref name="length"/> (whole milliseconds).</summary>
    public static KeyRateWindow Of(DateTimeOffset now, TimeSpan length)
    {
        var lengthMs = (long)length.TotalMilliseconds;
        var nowMs = now.ToUnixTimeMilliseconds();
        return new KeyRateWindow(nowMs - (nowMs % lengthMs), lengthMs);
    }
}
