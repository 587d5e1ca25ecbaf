using Orchestration.Domain;

namespace Orchestration.Postgres;

// Orgs and API keys.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public Task<bool> CreateOrgAsync(Org org, CancellationToken cancellationToken) =>
        OnConnectionAsync(async (tx, ct) => await tx.ExecAsync(S(PostgresSql.InsertOrg),
            new { org.Id, org.Name, org.CreatedAt }, ct) == 1, cancellationToken);

    /// <inheritdoc />
    public async Task<Org?> GetOrgAsync(string orgId, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(PostgresSql.OrgById), new { orgId },
            r => new Org(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2)), ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public Task<bool> CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken) =>
        OnConnectionAsync(async (tx, ct) => await tx.ExecAsync(S(PostgresSql.InsertApiKey), new
        {
            key.Id, key.OrgId, key.Name, key.SecretHash, Permissions = key.Permissions.ToArray(), key.CreatedAt, key.ExpiresAt, key.RevokedAt, key.RateLimit, key.RateLimitWindowSeconds,
        }, ct) == 1, cancellationToken);

    /// <inheritdoc />
    public async Task<ApiKeyRecord?> FindApiKeyAsync(string keyId, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(PostgresSql.ApiKeyById), new { keyId }, PostgresRows.ApiKey, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? orgId, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(PostgresSql.LiveApiKeys),
            new { orgId }, PostgresRows.ApiKey, ct), cancellationToken);

    /// <inheritdoc />
    public Task<bool> RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken) =>
        OnConnectionAsync(async (tx, ct) => await tx.ExecAsync(S(PostgresSql.RevokeApiKey), new { keyId }, ct) == 1, cancellationToken);

    /// <inheritdoc />
    public Task<int> CountApiKeysAsync(CancellationToken cancellationToken) =>
        OnConnectionAsync((tx, ct) => tx.ScalarAsync<int>(S(PostgresSql.CountApiKeys), null, ct), cancellationToken);
}
