using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Orgs and API keys.
public sealed partial class InMemoryStore
{
    /// <inheritdoc />
    public Task<bool> CreateOrgAsync(Org org, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_orgs.TryAdd(org.Id, org));
    }

    /// <inheritdoc />
    public Task<Org?> GetOrgAsync(string orgId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_orgs.GetValueOrDefault(orgId));
    }

    /// <inheritdoc />
    public Task<bool> CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_keys.TryAdd(key.Id, key));
    }

    /// <inheritdoc />
    public Task<ApiKeyRecord?> FindApiKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_keys.GetValueOrDefault(keyId));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? orgId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<ApiKeyRecord> keys = _keys.Values.Where(k => k.RevokedAt is null && (orgId is null || string.Equals(k.OrgId, orgId, StringComparison.Ordinal)))
                .OrderBy(k => k.CreatedAt).ToList();
            return Task.FromResult(keys);
        }
    }

    /// <inheritdoc />
    public Task<bool> RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_keys.TryGetValue(keyId, out var key) || key.RevokedAt is not null) return Task.FromResult(false);
            _keys[keyId] = key with { RevokedAt = _time.GetUtcNow() };
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<int> CountApiKeysAsync(CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_keys.Count);
    }
}
