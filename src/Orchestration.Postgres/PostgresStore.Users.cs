using System.Data.Common;
using System.Text;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Users and their tokens. The statements stay with this file because no other part of the store uses these tables.
public sealed partial class PostgresStore : IUserStore
{
    private const string UserColumns = "id, org_id, username, name, email, url, picture_url, permissions, locked, created_at, updated_at";

    /// <inheritdoc />
    public Task<bool> CreateUserAsync(OrgUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return OnConnectionAsync(async (tx, ct) => await tx.ExecAsync(S($$"""
            INSERT INTO {s}.users ({{UserColumns}})
            VALUES (@Id, @OrgId, @Username, @Name, @Email, @Url, @PictureUrl, @Permissions, @Locked, @CreatedAt, @UpdatedAt)
            ON CONFLICT DO NOTHING
            """), new
        {
            user.Id, user.OrgId, user.Username, user.Name, user.Email, user.Url, user.PictureUrl, Permissions = user.Permissions.ToArray(),
            user.Locked, user.CreatedAt, user.UpdatedAt,
        }, ct) == 1, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<OrgUser?> GetUserAsync(string orgId, string userId, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S($"SELECT {UserColumns} FROM {{s}}.users WHERE id = @userId AND org_id = @orgId"),
            new { orgId, userId }, ReadUser, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public Task<Page<OrgUser>> ListUsersAsync(UserQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder("org_id = @OrgId");
        if (query.Username is not null) where.Append(" AND username = @Username");
        if (query.Email is not null) where.Append(" AND email = @Email");
        var args = new { query.OrgId, query.Username, query.Email, query.Limit, query.Offset };
        return OnConnectionAsync(async (tx, ct) =>
        {
            var total = await tx.ScalarAsync<long>(S($"SELECT count(*) FROM {{s}}.users WHERE {where}"), args, ct);
            var items = await tx.ReadAsync(
                S($"SELECT {UserColumns} FROM {{s}}.users WHERE {where} ORDER BY username COLLATE \"C\" LIMIT @Limit OFFSET @Offset"), args, ReadUser, ct);
            return new Page<OrgUser>(items, (int)total);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<OrgUser?> UpdateUserProfileAsync(UpdateUserProfileParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return await InTransactionAsync(async (tx, ct) =>
        {
            var user = (await tx.ReadAsync(S($$"""
                UPDATE {s}.users SET name = coalesce(@Name, name), email = coalesce(@Email, email), url = coalesce(@Url, url),
                    picture_url = coalesce(@PictureUrl, picture_url), permissions = coalesce(@Permissions::text[], permissions),
                    locked = coalesce(@Locked, locked), updated_at = @UpdatedAt
                WHERE id = @UserId AND org_id = @OrgId
                RETURNING {{UserColumns}}
                """), new
            {
                parameters.OrgId, parameters.UserId, parameters.Name, parameters.Email, parameters.Url, parameters.PictureUrl,
                Permissions = parameters.Permissions?.ToArray(), parameters.Locked, parameters.UpdatedAt,
            }, ReadUser, ct)).FirstOrDefault();
            if (user is not null && parameters.Locked == true)
            {
                await tx.ExecAsync(S("""
                    UPDATE {s}.api_keys SET revoked_at = {now}
                    WHERE revoked_at IS NULL AND id IN (SELECT key_id FROM {s}.user_tokens WHERE org_id = @OrgId AND user_id = @UserId)
                    """), new { parameters.OrgId, parameters.UserId }, ct);
            }

            return user;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> CreateUserTokenAsync(string userId, ApiKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return InTransactionAsync(async (tx, ct) =>
        {
            // The user's row is locked so a token is never linked to a user removed by a concurrent transaction.
            var users = await tx.ReadAsync(S("SELECT 1 FROM {s}.users WHERE id = @userId AND org_id = @OrgId FOR SHARE"), new { userId, key.OrgId },
                r => r.GetInt32(0), ct);
            if (users.Count == 0) return false;
            var inserted = await tx.ExecAsync(S(PostgresSql.InsertApiKey), new
            {
                key.Id, key.OrgId, key.Name, key.SecretHash, Permissions = key.Permissions.ToArray(), key.CreatedAt, key.ExpiresAt, key.RevokedAt,
                key.RateLimit, key.RateLimitWindowSeconds,
            }, ct);
            if (inserted != 1) return false;
            await tx.ExecAsync(S("INSERT INTO {s}.user_tokens (key_id, org_id, user_id) VALUES (@Id, @OrgId, @userId)"), new { key.Id, key.OrgId, userId }, ct);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKeyRecord>> ListUserTokensAsync(string orgId, string userId, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(S($$"""
            SELECT {{PostgresRows.ApiKeyColumns}} FROM {s}.api_keys k JOIN {s}.user_tokens t ON t.key_id = k.id
            WHERE k.revoked_at IS NULL AND t.org_id = @orgId AND t.user_id = @userId
            ORDER BY k.created_at, k.seq
            """), new { orgId, userId }, PostgresRows.ApiKey, ct), cancellationToken);

    /// <inheritdoc />
    public Task<bool> RevokeUserTokenAsync(string orgId, string userId, string tokenId, CancellationToken cancellationToken) =>
        OnConnectionAsync(async (tx, ct) => await tx.ExecAsync(S("""
            UPDATE {s}.api_keys SET revoked_at = {now}
            WHERE id = @tokenId AND revoked_at IS NULL
              AND EXISTS (SELECT 1 FROM {s}.user_tokens WHERE key_id = @tokenId AND org_id = @orgId AND user_id = @userId)
            """), new { tokenId, orgId, userId }, ct) == 1, cancellationToken);

    /// <inheritdoc />
    public async Task<OrgUser?> FindTokenOwnerAsync(string tokenId, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S($$"""
            SELECT {{string.Join(", ", UserColumns.Split(", ").Select(c => "u." + c))}}
            FROM {s}.user_tokens t JOIN {s}.users u ON u.id = t.user_id AND u.org_id = t.org_id WHERE t.key_id = @tokenId
            """), new { tokenId }, ReadUser, ct), cancellationToken)).FirstOrDefault();

    private static OrgUser ReadUser(DbDataReader r) => new()
    {
        Id = r.GetString(0), OrgId = r.GetString(1), Username = r.GetString(2), Name = r.GetString(3), Email = r.GetString(4), Url = r.GetString(5),
        PictureUrl = r.GetString(6), Permissions = r.GetFieldValue<string[]>(7), Locked = r.GetBoolean(8),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(9), UpdatedAt = r.GetFieldValue<DateTimeOffset>(10),
    };
}
