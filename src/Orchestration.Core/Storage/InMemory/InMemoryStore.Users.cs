using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Users and the tokens they own. Tokens live in the key table (_keys) like every API key; _tokenOwners links them.
public sealed partial class InMemoryStore : IUserStore
{
    private readonly Dictionary<string, OrgUser> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _tokenOwners = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task<bool> CreateUserAsync(OrgUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        lock (_gate)
        {
            if (_users.ContainsKey(user.Id) || _users.Values.Any(u => u.OrgId == user.OrgId && u.Username == user.Username)) return Task.FromResult(false);
            _users[user.Id] = user;
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<OrgUser?> GetUserAsync(string orgId, string userId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(UserOf(orgId, userId));
    }

    /// <inheritdoc />
    public Task<Page<OrgUser>> ListUsersAsync(UserQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_gate)
        {
            var matching = _users.Values.Where(u => u.OrgId == query.OrgId && (query.Username is null || u.Username == query.Username)
                                                     && (query.Email is null || u.Email == query.Email))
                .OrderBy(u => u.Username, StringComparer.Ordinal).ToList();
            return Task.FromResult(new Page<OrgUser>(matching.Skip(query.Offset).Take(query.Limit).ToList(), matching.Count));
        }
    }

    /// <inheritdoc />
    public Task<OrgUser?> UpdateUserProfileAsync(UpdateUserProfileParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        lock (_gate)
        {
            if (UserOf(parameters.OrgId, parameters.UserId) is not { } user) return Task.FromResult<OrgUser?>(null);
            var updated = user with
            {
                Name = parameters.Name ?? user.Name,
                Email = parameters.Email ?? user.Email,
                Url = parameters.Url ?? user.Url,
                PictureUrl = parameters.PictureUrl ?? user.PictureUrl,
                Permissions = parameters.Permissions?.ToList() ?? user.Permissions,
                Locked = parameters.Locked ?? user.Locked,
                UpdatedAt = parameters.UpdatedAt,
            };
            _users[user.Id] = updated;
            if (parameters.Locked == true)
            {
                var now = _time.GetUtcNow();
                foreach (var (keyId, _) in _tokenOwners.Where(o => o.Value == user.Id).ToList())
                {
                    if (_keys[keyId].RevokedAt is null) _keys[keyId] = _keys[keyId] with { RevokedAt = now };
                }
            }

            return Task.FromResult<OrgUser?>(updated);
        }
    }

    /// <inheritdoc />
    public Task<bool> CreateUserTokenAsync(string userId, ApiKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (UserOf(key.OrgId, userId) is null || !_keys.TryAdd(key.Id, key)) return Task.FromResult(false);
            _tokenOwners[key.Id] = userId;
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKeyRecord>> ListUserTokensAsync(string orgId, string userId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<ApiKeyRecord> tokens = _tokenOwners.Where(o => o.Value == userId).Select(o => _keys[o.Key])
                .Where(k => k.OrgId == orgId && k.RevokedAt is null).OrderBy(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal).ToList();
            return Task.FromResult(tokens);
        }
    }

    /// <inheritdoc />
    public Task<bool> RevokeUserTokenAsync(string orgId, string userId, string tokenId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_tokenOwners.TryGetValue(tokenId, out var owner) || owner != userId || !_keys.TryGetValue(tokenId, out var key)
                || key.OrgId != orgId || key.RevokedAt is not null)
                return Task.FromResult(false);
            _keys[tokenId] = key with { RevokedAt = _time.GetUtcNow() };
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<OrgUser?> FindTokenOwnerAsync(string tokenId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_tokenOwners.TryGetValue(tokenId, out var owner) ? _users.GetValueOrDefault(owner) : null);
        }
    }

    private OrgUser? UserOf(string orgId, string userId) =>
        _users.TryGetValue(userId, out var user) && user.OrgId == orgId ? user : null;
}
