namespace Orchestration.Domain;

/// <summary>
/// A user: a member of one org who owns API tokens. The user's permissions bound what its tokens may carry; a token
/// never holds a permission its user lacks.
/// </summary>
public sealed record OrgUser
{
    /// <summary>Identifier, unique across orgs.</summary>
    public required string Id { get; init; }
    /// <summary>The org the user belongs to.</summary>
    public required string OrgId { get; init; }
    /// <summary>Login name, unique within the org.</summary>
    public required string Username { get; init; }
    /// <summary>Display name.</summary>
    public string Name { get; init; } = "";
    /// <summary>Email address.</summary>
    public string Email { get; init; } = "";
    /// <summary>Profile URL.</summary>
    public string Url { get; init; } = "";
    /// <summary>Picture URL.</summary>
    public string PictureUrl { get; init; } = "";
    /// <summary>Permissions the user holds (the same names API keys carry).</summary>
    public IReadOnlyList<string> Permissions { get; init; } = [];
    /// <summary>A locked user's tokens are refused.</summary>
    public bool Locked { get; init; }
    /// <summary>Creation time.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Time of the last profile update.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}
