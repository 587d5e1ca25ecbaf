using System.Data.Common;
using System.Text;
using Dapper;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Versioned definitions. The statements stay with this file because no other part of the store uses this table.
public sealed partial class PostgresStore : IDefinitionStore
{
    private const string DefinitionColumns = "id, org_id, name, version, platform, tags, disabled, document_json, raw_yaml, created_at";

    /// <inheritdoc />
    public Task<JobDefinition> SaveDefinitionAsync(SaveDefinitionParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return InTransactionAsync(async (tx, ct) =>
        {
            // Serialises saves of one name so two concurrent ones get versions n+1 and n+2 rather than a unique violation.
            await tx.ExecAsync("SELECT pg_advisory_xact_lock(hashtext('orchestration.definitions:' || @orgId || ':' || @name))",
                new { orgId = parameters.OrgId, name = parameters.Name }, ct);
            var rows = await tx.ReadAsync(S("""
                UPDATE {s}.job_definitions SET is_latest = false WHERE org_id = @orgId AND name = @name AND is_latest
                RETURNING version, disabled
                """), new { orgId = parameters.OrgId, name = parameters.Name }, r => (Version: r.GetInt32(0), Disabled: r.GetBoolean(1)), ct);
            var version = rows.Count == 0 ? 1 : rows[0].Version + 1;
            var disabled = rows.Count > 0 && rows[0].Disabled;
            await tx.ExecAsync(S("""
                INSERT INTO {s}.job_definitions (id, org_id, name, version, is_latest, platform, tags, disabled, document_json, raw_yaml, created_at)
                VALUES (@id, @orgId, @name, @version, true, @platform, @tags, @disabled, @document, @rawYaml, @createdAt)
                """), new
            {
                id = parameters.Id, orgId = parameters.OrgId, name = parameters.Name, version, platform = parameters.Platform,
                tags = parameters.Tags.ToArray(), disabled, document = parameters.DocumentJson, rawYaml = parameters.RawYaml,
                createdAt = parameters.CreatedAt.ToUniversalTime(),
            }, ct);
            return new JobDefinition
            {
                Id = parameters.Id, OrgId = parameters.OrgId, Name = parameters.Name, Version = version, Platform = parameters.Platform,
                Tags = parameters.Tags.ToList(), Disabled = disabled, DocumentJson = parameters.DocumentJson, RawYaml = parameters.RawYaml,
                CreatedAt = parameters.CreatedAt,
            };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<JobDefinition?> GetDefinitionAsync(string orgId, string id, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(
            S($"SELECT {DefinitionColumns} FROM {{s}}.job_definitions WHERE org_id = @orgId AND id = @id"),
            new { orgId, id }, ReadDefinition, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<JobDefinition?> GetDefinitionByNameAsync(string orgId, string name, int? version, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(version is null
            ? S($"SELECT {DefinitionColumns} FROM {{s}}.job_definitions WHERE org_id = @orgId AND name = @name AND is_latest")
            : S($"SELECT {DefinitionColumns} FROM {{s}}.job_definitions WHERE org_id = @orgId AND name = @name AND version = @version"),
            new { orgId, name, version }, ReadDefinition, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public Task<Page<JobDefinition>> ListDefinitionsAsync(DefinitionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder("org_id = @OrgId AND is_latest");
        var args = new DynamicParameters(new { query.OrgId, query.Limit, query.Offset });
        if (query.Name is not null) { where.Append(" AND name = @Name"); args.Add("Name", query.Name); }
        if (query.Platform is not null) { where.Append(" AND platform = @Platform"); args.Add("Platform", query.Platform); }
        if (query.Tags.Count > 0) { where.Append(" AND tags @> @Tags"); args.Add("Tags", query.Tags.ToArray()); }
        return OnConnectionAsync(async (tx, ct) =>
        {
            var total = await tx.ScalarAsync<long>(S($"SELECT count(*) FROM {{s}}.job_definitions WHERE {where}"), args, ct);
            var items = await tx.ReadAsync(
                S($"SELECT {DefinitionColumns} FROM {{s}}.job_definitions WHERE {where} ORDER BY name COLLATE \"C\" LIMIT @Limit OFFSET @Offset"),
                args, ReadDefinition, ct);
            return new Page<JobDefinition>(items, (int)total);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> DeleteDefinitionAsync(string orgId, string name, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
            await tx.ExecAsync(S("DELETE FROM {s}.job_definitions WHERE org_id = @orgId AND name = @name"), new { orgId, name }, ct) > 0,
            cancellationToken);

    /// <inheritdoc />
    public Task<bool> SetDefinitionDisabledAsync(string orgId, string name, bool disabled, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
            await tx.ExecAsync(S("UPDATE {s}.job_definitions SET disabled = @disabled WHERE org_id = @orgId AND name = @name"),
                new { orgId, name, disabled }, ct) > 0,
            cancellationToken);

    private static JobDefinition ReadDefinition(DbDataReader r) => new()
    {
        Id = r.GetString(0), OrgId = r.GetString(1), Name = r.GetString(2), Version = r.GetInt32(3),
        Platform = r.IsDBNull(4) ? null : r.GetString(4), Tags = r.GetFieldValue<string[]>(5), Disabled = r.GetBoolean(6),
        DocumentJson = r.GetString(7), RawYaml = r.IsDBNull(8) ? null : r.GetString(8), CreatedAt = r.GetFieldValue<DateTimeOffset>(9),
    };
}
