using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>Orgs and API keys, kept by the same back end as the runs. Hashing is the caller's job; only hashes arrive here.</summary>
public interface IIdentityStore
{
    /// <summary>Creates an org; false when the id exists.</summary>
    Task<bool> CreateOrgAsync(Org org, CancellationToken cancellationToken);

    /// <summary>One org, or null.</summary>
    Task<Org?> GetOrgAsync(string orgId, CancellationToken cancellationToken);

    /// <summary>Stores a key record; false when the id exists.</summary>
    Task<bool> CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>A key by its public id part (revoked ones included, so callers can tell why it is refused), or null.</summary>
    Task<ApiKeyRecord?> FindApiKeyAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>Keys of one org, or of all orgs when null; revoked ones excluded.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? orgId, CancellationToken cancellationToken);

    /// <summary>Marks a key revoked; false when no unrevoked key has that id.</summary>
    Task<bool> RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>Number of keys ever stored, revoked included (bootstrap decides on it).</summary>
    Task<int> CountApiKeysAsync(CancellationToken cancellationToken);
}
