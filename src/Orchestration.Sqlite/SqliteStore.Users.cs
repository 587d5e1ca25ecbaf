using System.Text;
using Dapper;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Users and their tokens. Few rows per call, so Dapper's convenience wins; the statements stay with this file because
// no other part of the store uses these tables.
public sealed partial class SqliteStore : IUserStore
{
    private const string UserColumns = """
        id AS Id, org_id AS OrgId, username AS Username, name AS Name, email AS Email, url AS Url, picture_url AS PictureUrl,
        permissions AS Permissions, locked AS Locked, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    /// <inheritdoc />
    public Task<bool> CreateUserAsync(OrgUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return WriteAsync(tx => tx.Db.Connection.Execute("""
            INSERT INTO users (id, org_id, username, name, email, url, picture_url, permissions, locked, created_at, updated_at)
            VALUES (@Id, @OrgId, @Username, @Name, @Email, @Url, @PictureUrl, @Permissions, @Locked, @CreatedAt, @UpdatedAt)
            ON CONFLICT DO NOTHING
            """, UserArgs(user)) == 1, cancellationToken);
    }

    /// <inheritdoc />
    public Task<OrgUser?> GetUserAsync(string orgId, string userId, CancellationToken cancellationToken) =>
        ReadAsync(db => db.Connection.QuerySingleOrDefault<UserRow>($"SELECT {UserColumns} FROM users WHERE id = @userId AND org_id = @orgId",
            new { orgId, userId })?.ToUser(), cancellationToken);

    /// <inheritdoc />
    public Task<Page<OrgUser>> ListUsersAsync(UserQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder("org_id = @OrgId");
        if (query.Username is not null) where.Append(" AND username = @Username");
        if (query.Email is not null) where.Append(" AND email = @Email");
        var args = new { query.OrgId, query.Username, query.Email, query.Limit, query.Offset };
        return ReadAsync(db =>
        {
            var total = db.Connection.ExecuteScalar<int>($"SELECT count(*) FROM users WHERE {where}", args);
            var items = db.Connection.Query<UserRow>($"SELECT {UserColumns} FROM users WHERE {where} ORDER BY username LIMIT @Limit OFFSET @Offset", args)
                .Select(r => r.ToUser()).ToList();
            return new Page<OrgUser>(items, total);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<OrgUser?> UpdateUserProfileAsync(UpdateUserProfileParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return WriteAsync(tx =>
        {
            var user = tx.Db.Connection.QuerySingleOrDefault<UserRow>($"""
                UPDATE users SET name = coalesce(@Name, name), email = coalesce(@Email, email), url = coalesce(@Url, url),
                    picture_url = coalesce(@PictureUrl, picture_url), permissions = coalesce(@Permissions, permissions),
                    locked = coalesce(@Locked, locked), updated_at = @UpdatedAt
                WHERE id = @UserId AND org_id = @OrgId
                RETURNING {UserColumns}
                """, new
            {
                parameters.OrgId, parameters.UserId, parameters.Name, parameters.Email, parameters.Url, parameters.PictureUrl,
                Permissions = parameters.Permissions is null ? null : SqliteValues.ListToJsonAlways(parameters.Permissions),
                Locked = parameters.Locked is null ? (int?)null : parameters.Locked.Value ? 1 : 0,
                UpdatedAt = parameters.UpdatedAt.UtcTicks,
            })?.ToUser();
            if (user is not null && parameters.Locked == true)
            {
                tx.Db.Connection.Execute("""
                    UPDATE api_keys SET revoked_at = @now
                    WHERE revoked_at IS NULL AND id IN (SELECT key_id FROM user_tokens WHERE org_id = @OrgId AND user_id = @UserId)
                    """, new { now = tx.Now.UtcTicks, parameters.OrgId, parameters.UserId });
            }

            return user;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> CreateUserTokenAsync(string userId, ApiKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WriteAsync(tx =>
        {
            var c = tx.Db.Connection;
            if (c.ExecuteScalar<long>("SELECT count(*) FROM users WHERE id = @userId AND org_id = @OrgId", new { userId, key.OrgId }) == 0) return false;
            if (c.Execute(SqliteSql.InsertApiKey, new
                {
                    key.Id, key.OrgId, key.Name, key.SecretHash, Permissions = SqliteValues.ListToJsonAlways(key.Permissions),
                    CreatedAt = key.CreatedAt.UtcTicks, ExpiresAt = key.ExpiresAt?.UtcTicks, RevokedAt = key.RevokedAt?.UtcTicks,
                    key.RateLimit, key.RateLimitWindowSeconds,
                }) != 1)
                return false;
            c.Execute("INSERT INTO user_tokens (key_id, org_id, user_id) VALUES (@Id, @OrgId, @userId)", new { key.Id, key.OrgId, userId });
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKeyRecord>> ListUserTokensAsync(string orgId, string userId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ApiKeyRecord>>(db => db.Connection.Query<KeyRow>($"""
            SELECT {SqliteSql.ApiKeyColumns} FROM api_keys
            WHERE revoked_at IS NULL AND id IN (SELECT key_id FROM user_tokens WHERE org_id = @orgId AND user_id = @userId)
            ORDER BY created_at, seq
            """, new { orgId, userId }).Select(k => k.ToRecord()).ToList(), cancellationToken);

    /// <inheritdoc />
    public Task<bool> RevokeUserTokenAsync(string orgId, string userId, string tokenId, CancellationToken cancellationToken) =>
        WriteAsync(tx => tx.Db.Connection.Execute("""
            UPDATE api_keys SET revoked_at = @now
            WHERE id = @tokenId AND revoked_at IS NULL
              AND EXISTS (SELECT 1 FROM user_tokens WHERE key_id = @tokenId AND org_id = @orgId AND user_id = @userId)
            """, new { now = tx.Now.UtcTicks, tokenId, orgId, userId }) == 1, cancellationToken);

    /// <inheritdoc />
    public Task<OrgUser?> FindTokenOwnerAsync(string tokenId, CancellationToken cancellationToken) =>
        ReadAsync(db => db.Connection.QuerySingleOrDefault<UserRow>(
            $"SELECT {UserColumns} FROM users WHERE id = (SELECT user_id FROM user_tokens WHERE key_id = @tokenId) " +
            "AND org_id = (SELECT org_id FROM user_tokens WHERE key_id = @tokenId)", new { tokenId })?.ToUser(), cancellationToken);

    private static object UserArgs(OrgUser user) => new
    {
        user.Id, user.OrgId, user.Username, user.Name, user.Email, user.Url, user.PictureUrl,
        Permissions = SqliteValues.ListToJsonAlways(user.Permissions), Locked = user.Locked ? 1 : 0,
        CreatedAt = user.CreatedAt.UtcTicks, UpdatedAt = user.UpdatedAt.UtcTicks,
    };

    private sealed class UserRow
    {
        public string Id { get; set; } = "";
        public string OrgId { get; set; } = "";
        public string Username { get; set; } = "";
        public string Name { get; set; } = "";
        public string Email { get; set; } = "";
        public string Url { get; set; } = "";
        public string PictureUrl { get; set; } = "";
        public string Permissions { get; set; } = "[]";
        public long Locked { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public OrgUser ToUser() => new()
        {
            Id = Id, OrgId = OrgId, Username = Username, Name = Name, Email = Email, Url = Url, PictureUrl = PictureUrl,
            Permissions = SqliteValues.JsonToList(Permissions), Locked = Locked != 0,
            CreatedAt = SqliteValues.Time(CreatedAt), UpdatedAt = SqliteValues.Time(UpdatedAt),
        };
    }
}
