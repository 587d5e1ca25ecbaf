namespace Orchestration.Http;

/// <summary>The events endpoint's stream (<c>Orchestration:Events</c>).</summary>
public sealed class EventStreamOptions
{
    /// <summary>How often an idle stream looks for new events.</summary>
    public int PollMilliseconds { get; set; } = 500;

    /// <summary>A comment line is sent after this long without an event, so proxies keep the connection open.</summary>
    public int KeepAliveSeconds { get; set; } = 15;

    /// <summary>The server closes a stream after this long; clients reconnect with <c>Last-Event-ID</c> and lose nothing.</summary>
    public int MaxStreamSeconds { get; set; } = 3600;

    /// <summary>The reconnection delay the stream tells clients (<c>retry:</c>).</summary>
    public int RetryMilliseconds { get; set; } = 2000;

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    internal string? Validate() =>
        PollMilliseconds < 10 || KeepAliveSeconds < 1 || MaxStreamSeconds < 1 || RetryMilliseconds < 0
            ? "Orchestration:Events: PollMilliseconds must be at least 10, KeepAliveSeconds and MaxStreamSeconds at least 1, RetryMilliseconds at least 0."
            : null;
}
