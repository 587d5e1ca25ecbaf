using System.Threading.RateLimiting;

namespace Orchestration.Http.Platform.RateLimiting;

/// <summary>
/// A <see cref="FixedWindowRateLimiter"/> whose windows are driven by a <see cref="TimeProvider"/> instead of its own
/// timer, so tests move time with a fake clock and the reset time can be reported in <c>X-RateLimit-Reset</c>.
/// </summary>
internal sealed class ClockedFixedWindowLimiter : RateLimiter
{
    private FixedWindowRateLimiter _inner;
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private readonly int _limit;
    private readonly Lock _gate = new();
    private DateTimeOffset _windowEnd;

    public ClockedFixedWindowLimiter(int limit, TimeSpan window, TimeProvider time)
    {
        _limit = limit;
        _window = window;
        _time = time;
        _inner = NewWindow();
        _windowEnd = time.GetUtcNow() + window;
    }

    private FixedWindowRateLimiter NewWindow() => new(new FixedWindowRateLimiterOptions
    {
        PermitLimit = _limit,
        Window = _window,
        QueueLimit = 0,
        AutoReplenishment = false,
    });

    /// <summary>
    /// Idle once its window has passed: a new request would start from a fresh window anyway, so the partitioned limiter
    /// may drop it (keeps per-IP partitions from piling up).
    /// </summary>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                return now >= _windowEnd ? now - _windowEnd : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics() => _inner.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (now >= _windowEnd)
            {
                // TryReplenish checks elapsed Stopwatch time itself, which a fake clock cannot move; a fresh limiter per
                // window keeps the TimeProvider the only clock.
                _inner.Dispose();
                _inner = NewWindow();
                _windowEnd = now + _window;
            }

            using var lease = _inner.AttemptAcquire(permitCount);
            var remaining = (int)(_inner.GetStatistics()?.CurrentAvailablePermits ?? 0);
            return new WindowLease(lease.IsAcquired, _limit, remaining, _windowEnd, _windowEnd - now);
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A lease that carries what the rate-limit headers report.</summary>
internal sealed class WindowLease(bool acquired, int limit, int remaining, DateTimeOffset resetAt, TimeSpan retryAfter) : RateLimitLease
{
    public const string LimitName = "X-RateLimit-Limit";
    public const string RemainingName = "X-RateLimit-Remaining";
    public const string ResetName = "X-RateLimit-Reset";

    public override bool IsAcquired => acquired;

    public int Limit => limit;

    public int Remaining => remaining;

    public DateTimeOffset ResetAt => resetAt;

    public override IEnumerable<string> MetadataNames => [LimitName, RemainingName, ResetName, MetadataName.RetryAfter.Name];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = metadataName switch
        {
            LimitName => limit,
            RemainingName => remaining,
            ResetName => resetAt,
            _ when metadataName == MetadataName.RetryAfter.Name && !acquired => retryAfter,
            _ => null,
        };
        return metadata is not null;
    }
}
