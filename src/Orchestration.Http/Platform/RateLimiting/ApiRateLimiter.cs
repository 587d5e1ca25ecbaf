using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Orchestration.Http.Platform.Auth;

namespace Orchestration.Http.Platform.RateLimiting;

/// <summary>What one request is counted against.</summary>
/// <param name="Partition">Key id or client IP, plus the window, so a changed limit starts a fresh partition.</param>
/// <param name="Limit">Requests per window.</param>
/// <param name="Window">Window length.</param>
internal readonly record struct RateLimitTarget(string Partition, int Limit, TimeSpan Window);

/// <summary>
/// One <see cref="PartitionedRateLimiter{TResource}"/> for every family: partitioned by API key id for authenticated
/// callers and by client IP otherwise.
/// </summary>
internal sealed class ApiRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<RateLimitTarget> _limiter;
    private readonly RateLimitOptions _options;

    public ApiRateLimiter(IOptions<OrchestrationHttpOptions> options, TimeProvider time)
    {
        _options = options.Value.RateLimits;
        _limiter = PartitionedRateLimiter.Create<RateLimitTarget, string>(target =>
            RateLimitPartition.Get(target.Partition, _ => new ClockedFixedWindowLimiter(target.Limit, target.Window, time)));
    }

    public RateLimitTarget TargetFor(Caller? caller, HttpContext context)
    {
        if (caller is null)
        {
            var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            return Target("ip:" + ip, _options.PerIp.Limit, _options.PerIp.WindowSeconds);
        }

        return Target(caller.PartitionKey, caller.RateLimit ?? _options.PerKey.Limit, caller.RateLimitWindowSeconds ?? _options.PerKey.WindowSeconds);
    }

    /// <summary>
    /// An executor protocol call, counted per (org, executor id) rather than per key: one key often serves a fleet of
    /// executors, and an idle executor polling every second must never run out of calls.
    /// </summary>
    public RateLimitTarget ExecutorTarget(string orgId, string executorId) =>
        Target($"exec:{orgId}:{executorId}", _options.PerExecutor.Limit, _options.PerExecutor.WindowSeconds);

    /// <summary>Counts the request, sets the <c>X-RateLimit-*</c> headers and says whether it may proceed.</summary>
    public bool TryAcquire(RateLimitTarget target, HttpContext context, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(target);
        retryAfter = TimeSpan.Zero;
        if (lease is WindowLease w)
        {
            var headers = context.Response.Headers;
            headers[WindowLease.LimitName] = w.Limit.ToString(CultureInfo.InvariantCulture);
            headers[WindowLease.RemainingName] = w.Remaining.ToString(CultureInfo.InvariantCulture);
            headers[WindowLease.ResetName] = w.ResetAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        }

        if (lease.IsAcquired) return true;
        if (lease.TryGetMetadata(MetadataName.RetryAfter, out var after)) retryAfter = after;
        return false;
    }

    public void Dispose() => _limiter.Dispose();

    private static RateLimitTarget Target(string partition, int limit, int windowSeconds) =>
        new($"{partition}|{limit}/{windowSeconds}", limit, TimeSpan.FromSeconds(windowSeconds));
}
