using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// Users of an org and the API tokens they own. A token is an API key record (<see cref="IIdentityStore"/>) linked to
/// its user; like every key, only its hash arrives here. Every operation is atomic and scoped by org.
/// </summary>
public interface IUserStore
{
    /// <summary>Stores a new user; false when the id exists, or the username is taken in the org.</summary>
    Task<bool> CreateUserAsync(OrgUser user, CancellationToken cancellationToken);

    /// <summary>The user with this id in the org, or null (another org's user included).</summary>
    Task<OrgUser?> GetUserAsync(string orgId, string userId, CancellationToken cancellationToken);

    /// <summary>The org's matching users ordered by username, with the number of matching users.</summary>
    Task<Page<OrgUser>> ListUsersAsync(UserQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the profile fields the parameters carry (null leaves a field as it is) and sets the update time; the
    /// updated user, or null when the org has no user with that id. Locking a user revokes every token it owns in the
    /// same write, so a locked user's tokens stop working at once (unlocking does not bring them back).
    /// </summary>
    Task<OrgUser?> UpdateUserProfileAsync(UpdateUserProfileParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="key"/> as a token of the user in one write: false (and nothing stored) when the key's org
    /// has no user <paramref name="userId"/>, or the key id exists.
    /// </summary>
    Task<bool> CreateUserTokenAsync(string userId, ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>The user's tokens that are not revoked, oldest first; empty for another org's user.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListUserTokensAsync(string orgId, string userId, CancellationToken cancellationToken);

    /// <summary>Revokes a token of the user; false when the org's user has no unrevoked token with that id.</summary>
    Task<bool> RevokeUserTokenAsync(string orgId, string userId, string tokenId, CancellationToken cancellationToken);

    /// <summary>The user owning the token with this key id, or null when the key is not a user's token.</summary>
    Task<OrgUser?> FindTokenOwnerAsync(string tokenId, CancellationToken cancellationToken);
}

/// <summary>Filter and page of <see cref="IUserStore.ListUsersAsync"/>.</summary>
public sealed record UserQuery
{
    /// <summary>The caller's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>Only this username.</summary>
    public string? Username { get; init; }
    /// <summary>Only this email.</summary>
    public string? Email { get; init; }
    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 20;
    /// <summary>Items to skip.</summary>
    public int Offset { get; init; }
}

/// <summary>What <see cref="IUserStore.UpdateUserProfileAsync"/> changes; null leaves a field unchanged.</summary>
public sealed record UpdateUserProfileParams
{
    /// <summary>The caller's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The user.</summary>
    public required string UserId { get; init; }
    /// <summary>New display name.</summary>
    public string? Name { get; init; }
    /// <summary>New email.</summary>
    public string? Email { get; init; }
    /// <summary>New profile URL.</summary>
    public string? Url { get; init; }
    /// <summary>New picture URL.</summary>
    public string? PictureUrl { get; init; }
    /// <summary>New permissions.</summary>
    public IReadOnlyList<string>? Permissions { get; init; }
    /// <summary>New locked flag.</summary>
    public bool? Locked { get; init; }
    /// <summary>The update time.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}
