namespace Orchestration.Domain;

/// <summary>A tenant. Every row belongs to one.</summary>
/// <param name="Id">Identifier.</param>
/// <param name="Name">Display name.</param>
/// <param name="CreatedAt">Creation time.</param>
public sealed record Org(string Id, string Name, DateTimeOffset CreatedAt)
{
    /// <summary>The org embedded callers use when they do not care about tenancy.</summary>
    public const string DefaultId = "default";
}

/// <summary>A stored API key. The secret itself is never stored, only its hash.</summary>
public sealed record ApiKeyRecord
{
    /// <summary>The public id part of the key, used to find the record before the constant-time hash compare.</summary>
    public required string Id { get; init; }
    /// <summary>The org the key acts for.</summary>
    public required string OrgId { get; init; }
    /// <summary>Display name.</summary>
    public required string Name { get; init; }
    /// <summary>Hash of the secret part (see the HTTP package for the scheme).</summary>
    public required string SecretHash { get; init; }
    /// <summary>Granted permissions such as <c>runs:read</c> or <c>*</c>.</summary>
    public required IReadOnlyList<string> Permissions { get; init; }
    /// <summary>Creation time.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>After this time the key is refused; null for never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
    /// <summary>When the key was revoked; a revoked key is refused at once.</summary>
    public DateTimeOffset? RevokedAt { get; init; }
    /// <summary>Per-key request limit override.</summary>
    public int? RateLimit { get; init; }
    /// <summary>Per-key window override, in seconds.</summary>
    public int? RateLimitWindowSeconds { get; init; }
}
