using System.Text;
using System.Text.Json;
using Dapper;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Versioned definitions. Few rows per call, so Dapper's convenience wins here; the statements stay with this file
// because no other part of the store uses this table.
public sealed partial class SqliteStore : IDefinitionStore
{
    private const string DefinitionColumns = """
        id AS Id, org_id AS OrgId, name AS Name, version AS Version, platform AS Platform, tags AS Tags, disabled AS Disabled,
        document_json AS DocumentJson, raw_yaml AS RawYaml, created_at AS CreatedAt
        """;

    /// <inheritdoc />
    public Task<JobDefinition> SaveDefinitionAsync(SaveDefinitionParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return WriteAsync(tx =>
        {
            var c = tx.Db.Connection;
            var latest = c.QuerySingleOrDefault<(long Version, long Disabled)?>(
                "SELECT version, disabled FROM job_definitions WHERE org_id = @orgId AND name = @name AND is_latest = 1",
                new { orgId = parameters.OrgId, name = parameters.Name });
            c.Execute("UPDATE job_definitions SET is_latest = 0 WHERE org_id = @orgId AND name = @name AND is_latest = 1",
                new { orgId = parameters.OrgId, name = parameters.Name });
            var version = (int)(latest?.Version ?? 0) + 1;
            var disabled = latest is { Disabled: not 0 };
            c.Execute("""
                INSERT INTO job_definitions (id, org_id, name, version, is_latest, platform, tags, disabled, document_json, raw_yaml, created_at)
                VALUES (@id, @orgId, @name, @version, 1, @platform, @tags, @disabled, @document, @rawYaml, @createdAt)
                """, new
            {
                id = parameters.Id, orgId = parameters.OrgId, name = parameters.Name, version, platform = parameters.Platform,
                tags = JsonSerializer.Serialize(parameters.Tags), disabled = disabled ? 1 : 0, document = parameters.DocumentJson,
                rawYaml = parameters.RawYaml, createdAt = parameters.CreatedAt.UtcTicks,
            });
            return new JobDefinition
            {
                Id = parameters.Id, OrgId = parameters.OrgId, Name = parameters.Name, Version = version, Platform = parameters.Platform,
                Tags = parameters.Tags.ToList(), Disabled = disabled, DocumentJson = parameters.DocumentJson, RawYaml = parameters.RawYaml,
                CreatedAt = parameters.CreatedAt,
            };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<JobDefinition?> GetDefinitionAsync(string orgId, string id, CancellationToken cancellationToken) =>
        ReadAsync(db => db.Connection.QuerySingleOrDefault<DefinitionRow>(
            $"SELECT {DefinitionColumns} FROM job_definitions WHERE org_id = @orgId AND id = @id", new { orgId, id })?.ToDefinition(), cancellationToken);

    /// <inheritdoc />
    public Task<JobDefinition?> GetDefinitionByNameAsync(string orgId, string name, int? version, CancellationToken cancellationToken) =>
        ReadAsync(db => db.Connection.QuerySingleOrDefault<DefinitionRow>(version is null
            ? $"SELECT {DefinitionColumns} FROM job_definitions WHERE org_id = @orgId AND name = @name AND is_latest = 1"
            : $"SELECT {DefinitionColumns} FROM job_definitions WHERE org_id = @orgId AND name = @name AND version = @version",
            new { orgId, name, version })?.ToDefinition(), cancellationToken);

    /// <inheritdoc />
    public Task<Page<JobDefinition>> ListDefinitionsAsync(DefinitionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder("org_id = @OrgId AND is_latest = 1");
        var args = new DynamicParameters(new { query.OrgId });
        if (query.Name is not null) { where.Append(" AND name = @Name"); args.Add("Name", query.Name); }
        if (query.Platform is not null) { where.Append(" AND platform = @Platform"); args.Add("Platform", query.Platform); }
        for (var i = 0; i < query.Tags.Count; i++)
        {
            where.Append(System.Globalization.CultureInfo.InvariantCulture, $" AND EXISTS (SELECT 1 FROM json_each(tags) WHERE value = @tag{i})");
            args.Add("tag" + i, query.Tags[i]);
        }

        args.Add("Limit", query.Limit);
        args.Add("Offset", query.Offset);
        return ReadAsync(db =>
        {
            var total = db.Connection.ExecuteScalar<int>($"SELECT count(*) FROM job_definitions WHERE {where}", args);
            var items = db.Connection.Query<DefinitionRow>(
                    $"SELECT {DefinitionColumns} FROM job_definitions WHERE {where} ORDER BY name LIMIT @Limit OFFSET @Offset", args)
                .Select(r => r.ToDefinition()).ToList();
            return new Page<JobDefinition>(items, total);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> DeleteDefinitionAsync(string orgId, string name, CancellationToken cancellationToken) =>
        WriteAsync(tx => tx.Db.Connection.Execute("DELETE FROM job_definitions WHERE org_id = @orgId AND name = @name", new { orgId, name }) > 0,
            cancellationToken);

    /// <inheritdoc />
    public Task<bool> SetDefinitionDisabledAsync(string orgId, string name, bool disabled, CancellationToken cancellationToken) =>
        WriteAsync(tx => tx.Db.Connection.Execute("UPDATE job_definitions SET disabled = @disabled WHERE org_id = @orgId AND name = @name",
            new { orgId, name, disabled = disabled ? 1 : 0 }) > 0, cancellationToken);

    private sealed class DefinitionRow
    {
        public string Id { get; set; } = "";
        public string OrgId { get; set; } = "";
        public string Name { get; set; } = "";
        public long Version { get; set; }
        public string? Platform { get; set; }
        public string Tags { get; set; } = "[]";
        public long Disabled { get; set; }
        public string DocumentJson { get; set; } = "";
        public string? RawYaml { get; set; }
        public long CreatedAt { get; set; }

        public JobDefinition ToDefinition() => new()
        {
            Id = Id, OrgId = OrgId, Name = Name, Version = (int)Version, Platform = Platform,
            Tags = JsonSerializer.Deserialize<List<string>>(Tags) ?? [], Disabled = Disabled != 0, DocumentJson = DocumentJson,
            RawYaml = RawYaml, CreatedAt = SqliteValues.Time(CreatedAt),
        };
    }
}
