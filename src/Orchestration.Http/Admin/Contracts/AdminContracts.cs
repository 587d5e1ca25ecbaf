using System.Text.Json.Serialization;

namespace Orchestration.Http.Admin.Contracts;

/// <summary><c>POST /api/v1/admin/orgs</c> body.</summary>
internal sealed record CreateOrgRequest
{
    /// <summary>Display name (required).</summary>
    [JsonPropertyName("name")] public string? Name { get; init; }
}

/// <summary>An org.</summary>
internal sealed record OrgResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("createdAt")] DateTime CreatedAt);

/// <summary>A per-key rate limit.</summary>
internal sealed record RateLimitContract
{
    /// <summary>Requests per window (1 to 1,000,000).</summary>
    [JsonPropertyName("limit")] public int Limit { get; init; }
    /// <summary>Window length in seconds (1 to 86,400, a day).</summary>
    [JsonPropertyName("windowSeconds")] public int WindowSeconds { get; init; }
}

/// <summary><c>POST /api/v1/admin/api-keys</c> body.</summary>
internal sealed record CreateApiKeyRequest
{
    /// <summary>The org the key acts for (must exist). Optional: defaults to the caller's org, the only one an org key may name.</summary>
    [JsonPropertyName("orgId")] public string? OrgId { get; init; }
    /// <summary>Display name (required).</summary>
    [JsonPropertyName("name")] public string? Name { get; init; }
    /// <summary>Permissions (required, at least one known name).</summary>
    [JsonPropertyName("permissions")] public IReadOnlyList<string>? Permissions { get; init; }
    /// <summary>Optional expiry; must be in the future.</summary>
    [JsonPropertyName("expiresAt")] public DateTimeOffset? ExpiresAt { get; init; }
    /// <summary>Optional per-key rate limit overriding the configured default.</summary>
    [JsonPropertyName("rateLimit")] public RateLimitContract? RateLimit { get; init; }
}

/// <summary>An API key without its secret.</summary>
internal sealed record ApiKeyResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("orgId")] string OrgId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("permissions")] IReadOnlyList<string> Permissions,
    [property: JsonPropertyName("createdAt")] DateTime CreatedAt,
    [property: JsonPropertyName("expiresAt")] DateTime? ExpiresAt,
    [property: JsonPropertyName("rateLimit")] RateLimitContract? RateLimit);

/// <summary>A just-created API key: the only response that carries the full key.</summary>
internal sealed record CreatedApiKeyResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("orgId")] string OrgId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("permissions")] IReadOnlyList<string> Permissions,
    [property: JsonPropertyName("createdAt")] DateTime CreatedAt,
    [property: JsonPropertyName("expiresAt")] DateTime? ExpiresAt,
    [property: JsonPropertyName("rateLimit")] RateLimitContract? RateLimit);

/// <summary>A list of keys.</summary>
internal sealed record ApiKeyListResponse([property: JsonPropertyName("items")] IReadOnlyList<ApiKeyResponse> Items);
