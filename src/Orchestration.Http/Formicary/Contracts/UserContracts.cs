using System.Text.Json.Serialization;

namespace Orchestration.Http.Formicary.Contracts;

/// <summary>A user as Formicary's <c>User</c> object names its fields (the profile part; no salt, no subscription).</summary>
internal sealed record UserResponse
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("organization_id")] public required string OrganizationId { get; init; }
    [JsonPropertyName("username")] public required string Username { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("email")] public required string Email { get; init; }
    [JsonPropertyName("url")] public required string Url { get; init; }
    [JsonPropertyName("picture_url")] public required string PictureUrl { get; init; }
    /// <summary>Formicary's permission string: our permission names separated by spaces.</summary>
    [JsonPropertyName("perms")] public required string Perms { get; init; }
    /// <summary>The same permissions as a list.</summary>
    [JsonPropertyName("permissions")] public required IReadOnlyList<string> Permissions { get; init; }
    /// <summary>True when the user holds the system permission.</summary>
    [JsonPropertyName("admin")] public bool Admin { get; init; }
    [JsonPropertyName("locked")] public bool Locked { get; init; }
    [JsonPropertyName("created_at")] public DateTime CreatedAt { get; init; }
    [JsonPropertyName("updated_at")] public DateTime UpdatedAt { get; init; }
}

/// <summary>Body of <c>POST /api/users</c> and <c>PUT /api/users/{id}</c>; absent fields keep their value on update.</summary>
internal sealed record UserRequest
{
    [JsonPropertyName("username")] public string? Username { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("email")] public string? Email { get; init; }
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("picture_url")] public string? PictureUrl { get; init; }
    /// <summary>Permission names separated by spaces or commas (Formicary's string form).</summary>
    [JsonPropertyName("perms")] public string? Perms { get; init; }
    /// <summary>Permission names as a list; wins over <c>perms</c>.</summary>
    [JsonPropertyName("permissions")] public IReadOnlyList<string>? Permissions { get; init; }
    /// <summary>A locked user's tokens are refused.</summary>
    [JsonPropertyName("locked")] public bool? Locked { get; init; }
}

/// <summary>A user's token as Formicary's <c>UserToken</c> names its fields; <c>api_token</c> only in the creation answer.</summary>
internal sealed record UserTokenResponse
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("user_id")] public required string UserId { get; init; }
    [JsonPropertyName("organization_id")] public required string OrganizationId { get; init; }
    [JsonPropertyName("token_name")] public required string TokenName { get; init; }
    /// <summary>The secret, shown once at creation; never stored, never listed.</summary>
    [JsonPropertyName("api_token")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ApiToken { get; init; }
    [JsonPropertyName("permissions")] public required IReadOnlyList<string> Permissions { get; init; }
    [JsonPropertyName("active")] public bool Active { get; init; } = true;
    [JsonPropertyName("expires_at")] public DateTime? ExpiresAt { get; init; }
    [JsonPropertyName("created_at")] public DateTime CreatedAt { get; init; }
}

/// <summary>Answer of <c>POST /api/auth/token</c>: a host-issued JWT for the calling key (OAuth 2 token response names).</summary>
internal sealed record JwtTokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("expires_at")] DateTime ExpiresAt);
