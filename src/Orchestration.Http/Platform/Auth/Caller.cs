namespace Orchestration.Http.Platform.Auth;

/// <summary>Who is calling: the org every query is scoped by, and what the caller may do.</summary>
/// <param name="OrgId">The caller's org.</param>
/// <param name="Permissions">Granted permissions.</param>
/// <param name="PartitionKey">Rate-limit partition (the API key id, or the token's subject).</param>
/// <param name="RateLimit">The key's own request limit, when it has one.</param>
/// <param name="RateLimitWindowSeconds">The key's own window, when it has one.</param>
/// <param name="ExpiresAt">When the credential stops working, when it does; keys it creates may not outlive it.</param>
public sealed record Caller(string OrgId, IReadOnlySet<string> Permissions, string PartitionKey, int? RateLimit = null, int? RateLimitWindowSeconds = null,
    DateTimeOffset? ExpiresAt = null)
{
    /// <summary>True when the caller holds <paramref name="permission"/> (directly or through a wildcard).</summary>
    public bool Has(string permission) => Auth.Permissions.Grants(Permissions, permission);

    /// <summary>True when the caller holds the cross-org system permission.</summary>
    public bool IsSystem => Permissions.Contains(Auth.Permissions.System);
}

/// <summary>Reads the authenticated caller from the request.</summary>
public static class CallerHttpContextExtensions
{
    private static readonly object ItemKey = new();

    /// <summary>The caller set by the platform filter; throws outside an Orchestration endpoint.</summary>
    public static Caller GetCaller(this HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var c) && c is Caller caller
            ? caller
            : throw new InvalidOperationException("No Orchestration caller on this request; the endpoint is not inside an Orchestration API group.");

    internal static void SetCaller(this HttpContext context, Caller caller) => context.Items[ItemKey] = caller;
}
