using System.Text;

namespace Orchestration.Exec;

/// <summary>
/// Reads one output pipe to its end, keeping the first <c>limit</c> bytes and discarding the rest. Reading on after
/// the limit is what keeps a chatty child from blocking on a full pipe.
/// </summary>
internal sealed class OutputCapture(int limit)
{
    private readonly Lock _sync = new();
    // Grows on demand up to the limit, so a quiet process costs a few kilobytes, not a megabyte per stream.
    private byte[] _kept = new byte[Math.Min(limit, 4096)];
    private int _count;
    private long _total;

    /// <summary>Bytes the child wrote so far.</summary>
    public long TotalBytes
    {
        get
        {
            lock (_sync) return _total;
        }
    }

    /// <summary>Pumps <paramref name="stream"/> until end of stream or cancellation; never throws.</summary>
    public async Task PumpAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                lock (_sync)
                {
                    var keep = Math.Min(limit - _count, read);
                    if (keep > 0)
                    {
                        if (_count + keep > _kept.Length) Array.Resize(ref _kept, Math.Min(limit, Math.Max(_kept.Length * 2, _count + keep)));
                        buffer.AsSpan(0, keep).CopyTo(_kept.AsSpan(_count));
                        _count += keep;
                    }

                    _total += read;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Abandoned (drain timeout) or the pipe went away: what was read so far is the result.
        }
    }

    /// <summary>The kept bytes as UTF-8 text, and whether the child wrote more than was kept.</summary>
    public (string Text, bool Truncated) Snapshot()
    {
        lock (_sync)
        {
            var bytes = _kept.AsSpan(0, _count);
            var truncated = _total > _count;
            if (!truncated) return (Encoding.UTF8.GetString(bytes), false);
            // The cut may fall inside a multi-byte character; a non-flushing decoder leaves that tail out instead of
            // turning it into a replacement character.
            var decoder = Encoding.UTF8.GetDecoder();
            var chars = new char[decoder.GetCharCount(bytes, flush: false)];
            decoder.Reset();
            var count = decoder.GetChars(bytes, chars, flush: false);
            return (new string(chars, 0, count), true);
        }
    }
}
