using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orchestration.Http.Platform.RateLimiting;
using Orchestration.Execution;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Jobs;
using Orchestration.Storage;

namespace Orchestration.Http.Executors;

/// <summary>
/// What both executor protocols share: the documented caps on claim bodies, the per-executor rate limit, and the claim
/// itself (admitted, recorded for the executor registry, then taken through the engine's executor front).
/// </summary>
internal static class ExecutorCalls
{
    /// <summary>Longest <c>executor_id</c>: ids are stored on every attempt and in the executor registry.</summary>
    public const int MaxExecutorIdLength = 255;

    /// <summary>Longest <c>executor_ip</c> (an IPv6 address with zone fits easily; a hostname as executr sends fits too).</summary>
    public const int MaxExecutorIpLength = 255;

    /// <summary>Most task types one generic claim may list.</summary>
    public const int MaxTypes = 64;

    /// <summary>Longest task type in a claim.</summary>
    public const int MaxTypeLength = 255;

    public static string ExecutorId(string? executorId)
    {
        if (string.IsNullOrWhiteSpace(executorId)) throw JobsException.Field("executor_id", "is required");
        if (executorId.Length > MaxExecutorIdLength) throw JobsException.Field("executor_id", $"must be at most {MaxExecutorIdLength} characters");
        return executorId;
    }

    public static string? ExecutorIp(string? executorIp, HttpContext context)
    {
        if (executorIp is { Length: > MaxExecutorIpLength }) throw JobsException.Field("executor_ip", $"must be at most {MaxExecutorIpLength} characters");
        return string.IsNullOrEmpty(executorIp) ? context.Connection.RemoteIpAddress?.ToString() : executorIp;
    }

    public static IReadOnlyList<string> Types(IReadOnlyList<string>? types)
    {
        if (types is not { Count: > 0 } || types.Any(string.IsNullOrWhiteSpace)) throw JobsException.Field("types", "must list at least one task type");
        if (types.Count > MaxTypes) throw JobsException.Field("types", $"must list at most {MaxTypes} task types");
        if (types.Any(t => t.Length > MaxTypeLength)) throw JobsException.Field("types", $"entries must be at most {MaxTypeLength} characters");
        return types;
    }

    /// <summary>
    /// The lease a claim or heartbeat takes when the executor names none: <c>Orchestration:Executors:HeartbeatTimeoutSeconds</c>,
    /// the one bound both protocols give an executor between heartbeats.
    /// </summary>
    public static TimeSpan DefaultLease(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<OrchestrationHttpOptions>>().Value.Executors.HeartbeatTimeout;

    /// <summary>
    /// Claims for the caller's org through <see cref="IExecutorFront"/>, after counting the call against the executor's
    /// limit and recording it (with the types and capacity it declared) for the executor registry.
    /// </summary>
    public static Task<IReadOnlyList<LeasedTask>> ClaimAsync(HttpContext context, IExecutorFront front, ClaimTasksParams claim, ExecutorProtocol protocol)
    {
        var orgId = context.GetCaller().OrgId;
        Admit(context, orgId, claim.ExecutorId);
        context.RequestServices.GetRequiredService<ExecutorTracker>().Touch(orgId, claim.ExecutorId, [.. claim.Types], claim.Max);
        return front.ClaimAsync(claim with { OrgId = orgId }, protocol, context.RequestAborted);
    }

    /// <summary>
    /// Counts one call of <paramref name="executorId"/> against <c>Orchestration:RateLimits:PerExecutor</c>; over the
    /// limit it answers 429 with <c>Retry-After</c>, as the per-key limit does.
    /// </summary>
    public static void Admit(HttpContext context, string orgId, string executorId)
    {
        var limiter = context.RequestServices.GetRequiredService<ApiRateLimiter>();
        if (limiter.TryAcquire(limiter.ExecutorTarget(orgId, executorId), context, out var retryAfter)) return;
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var window = context.RequestServices.GetRequiredService<IOptions<OrchestrationHttpOptions>>().Value.RateLimits.PerExecutor;
        throw new JobsException(StatusCodes.Status429TooManyRequests,
            $"Too many executor calls: at most {window.Limit} per {window.WindowSeconds} s per executor",
            new Dictionary<string, string> { ["executor_id"] = executorId });
    }
}
