namespace Orchestration.Http.Platform.RateLimiting;

/// <summary>
/// Marks an executor protocol endpoint (claim, heartbeat, complete, fail). The platform filter leaves such calls of an
/// authenticated caller out of the per-key API limit; the endpoint counts them per executor once it knows the executor.
/// </summary>
internal sealed class ExecutorCallMetadata
{
    public static readonly ExecutorCallMetadata Instance = new();
}

internal static class ExecutorCallEndpointExtensions
{
    /// <summary>Counts this endpoint against the per-executor limit instead of the per-key API limit.</summary>
    public static TBuilder IsExecutorCall<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(ExecutorCallMetadata.Instance);
}
