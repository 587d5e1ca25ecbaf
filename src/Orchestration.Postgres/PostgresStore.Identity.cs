using Orchestration.Domain;

namespace Orchestration.Postgres;

// Orgs and API keys.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public Task<bool> CreateOrgAsync(Org org, CancellationToken cancellationToken) =>
        OnConnectionAsync(async (tx, ct) => await tx.ExecAsync(S("INSERT INTO {s}.orgs (id, name, created_at) VALUES (@Id, @Name, @CreatedAt) ON CONFLICT (id) DO NOTHING"),
            new { org.Id, org.Name, org.CreatedAt }, ct) == 1, cancellationToken);

    /// <inheritdoc />
    public async Task<Org?> GetOrgAsync(string orgId, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S("SELECT id, name, created_at FROM {s}.orgs WHERE id = @orgId"), new { orgId },
            r => new Org(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2)), ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public Task<bool> CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken) =>
        OnConnectionAsync(async (tx, ct) => await tx.ExecAsync(S("""
            INSERT INTO {s}.api_keys (id, org_id, name, secret_hash, permissions, created_at, expires_at, revoked_at, rate_limit, rate_limit_window_seconds)
            VALUES (@Id, @OrgId, @Name, @SecretHash, @Permissions, @CreatedAt, @ExpiresAt, @RevokedAt, @RateLimit, @RateLimitWindowSeconds)
            ON CONFLICT (id) DO NOTHING
            """), new
        {
            key.Id, key.OrgId, key.Name, key.SecretHash, Permissions = key.Permissions.ToArray(), key.CreatedAt, key.ExpiresAt, key.RevokedAt, key.RateLimit, key.RateLimitWindowSeconds,
        }, ct) == 1, cancellationToken);

    /// <inheritdoc />
    public async Task<ApiKeyRecord?> FindApiKeyAsync(string keyId, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S("SELECT " + PostgresRows.ApiKeyColumns + " FROM {s}.api_keys k WHERE k.id = @keyId"), new { keyId }, PostgresRows.ApiKey, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? orgId, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(S("SELECT " + PostgresRows.ApiKeyColumns + " FROM {s}.api_keys k WHERE k.revoked_at IS NULL AND (@orgId::text IS NULL OR k.org_id = @orgId) ORDER BY k.created_at, k.seq"),
            new { orgId }, PostgresRows.ApiKey, ct), cancellationToken);

    /// <inheritdoc />
    public Task<bool> RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken) =>
        OnConnectionAsync(async (tx, ct) => await tx.ExecAsync(S("UPDATE {s}.api_keys SET revoked_at = {now} WHERE id = @keyId AND revoked_at IS NULL"), new { keyId }, ct) == 1, cancellationToken);

    /// <inheritdoc />
    public Task<int> CountApiKeysAsync(CancellationToken cancellationToken) =>
        OnConnectionAsync((tx, ct) => tx.ScalarAsync<int>(S("SELECT count(*)::int FROM {s}.api_keys"), null, ct), cancellationToken);
}
