using System.Globalization;
using Dapper;
using Orchestration.Domain;

namespace Orchestration.Sqlite;

// Orgs and API keys. Rare and small, so Dapper's convenience wins over hand-written readers here.
public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public Task<bool> CreateOrgAsync(Org org, CancellationToken cancellationToken) =>
        WriteAsync(tx => tx.Db.Connection.Execute(
            SqliteSql.InsertOrg,
            new { org.Id, org.Name, CreatedAt = org.CreatedAt.UtcTicks }) == 1, cancellationToken);

    /// <inheritdoc />
    public Task<Org?> GetOrgAsync(string orgId, CancellationToken cancellationToken) =>
        ReadAsync(db =>
        {
            var row = db.Connection.QuerySingleOrDefault<OrgRow>(SqliteSql.OrgById, new { orgId });
            return row is null ? null : new Org(row.Id, row.Name, SqliteValues.Time(row.CreatedAt));
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken) =>
        WriteAsync(tx => tx.Db.Connection.Execute(
            SqliteSql.InsertApiKey,
            new
            {
                key.Id,
                key.OrgId,
                key.Name,
                key.SecretHash,
                Permissions = SqliteValues.ListToJsonAlways(key.Permissions),
                CreatedAt = key.CreatedAt.UtcTicks,
                ExpiresAt = key.ExpiresAt?.UtcTicks,
                RevokedAt = key.RevokedAt?.UtcTicks,
                key.RateLimit,
                key.RateLimitWindowSeconds,
            }) == 1, cancellationToken);

    /// <inheritdoc />
    public Task<ApiKeyRecord?> FindApiKeyAsync(string keyId, CancellationToken cancellationToken) =>
        ReadAsync(db => db.Connection.QuerySingleOrDefault<KeyRow>(SqliteSql.ApiKeyById, new { keyId })?.ToRecord(), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? orgId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ApiKeyRecord>>(db => db.Connection.Query<KeyRow>(
                SqliteSql.LiveApiKeys, new { orgId })
            .Select(k => k.ToRecord()).ToList(), cancellationToken);

    /// <inheritdoc />
    public Task<bool> RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken) =>
        WriteAsync(tx => tx.Db.Connection.Execute(
            SqliteSql.RevokeApiKey, new { now = tx.Now.UtcTicks, keyId }) == 1, cancellationToken);

    /// <inheritdoc />
    public Task<int> CountApiKeysAsync(CancellationToken cancellationToken) =>
        ReadAsync(db => Convert.ToInt32(db.Connection.ExecuteScalar<long>(SqliteSql.CountApiKeys), CultureInfo.InvariantCulture), cancellationToken);

    private sealed record OrgRow(string Id, string Name, long CreatedAt);

    private sealed class KeyRow
    {
        public string Id { get; set; } = "";
        public string OrgId { get; set; } = "";
        public string Name { get; set; } = "";
        public string SecretHash { get; set; } = "";
        public string Permissions { get; set; } = "[]";
        public long CreatedAt { get; set; }
        public long? ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }
        public long? RateLimit { get; set; }
        public long? RateLimitWindowSeconds { get; set; }

        public ApiKeyRecord ToRecord() => new()
        {
            Id = Id,
            OrgId = OrgId,
            Name = Name,
            SecretHash = SecretHash,
            Permissions = SqliteValues.JsonToList(Permissions),
            CreatedAt = SqliteValues.Time(CreatedAt),
            ExpiresAt = ExpiresAt is { } e ? SqliteValues.Time(e) : null,
            RevokedAt = RevokedAt is { } r ? SqliteValues.Time(r) : null,
            RateLimit = RateLimit is { } l ? (int)l : null,
            RateLimitWindowSeconds = RateLimitWindowSeconds is { } w ? (int)w : null,
        };
    }
}
