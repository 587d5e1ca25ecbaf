using System.Text;
using System.Text.Json;
using Dapper;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Artifact metadata. Few rows per call, so Dapper's convenience wins here; the statements stay with this file because
// no other part of the store uses this table.
public sealed partial class SqliteStore : IArtifactMetadataStore
{
    private const string ArtifactColumns = """
        id AS Id, org_id AS OrgId, name AS Name, kind AS Kind, run_id AS RunId, task_id AS TaskId, task_type AS TaskType,
        sha256 AS Sha256, content_type AS ContentType, content_length AS ContentLength, metadata_json AS MetadataJson,
        tags AS Tags, storage_key AS StorageKey, created_at AS CreatedAt
        """;

    /// <inheritdoc />
    public Task RecordArtifactAsync(Artifact artifact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return WriteAsync(tx => tx.Db.Connection.Execute("""
            INSERT INTO artifacts (id, org_id, name, kind, run_id, task_id, task_type, sha256, content_type, content_length, metadata_json, tags, storage_key, created_at)
            VALUES (@Id, @OrgId, @Name, @Kind, @RunId, @TaskId, @TaskType, @Sha256, @ContentType, @ContentLength, @MetadataJson, @Tags, @StorageKey, @CreatedAt)
            """, new
        {
            artifact.Id, artifact.OrgId, artifact.Name, artifact.Kind, RunId = artifact.RunId?.ToString(), TaskId = artifact.TaskId?.ToString(),
            artifact.TaskType, artifact.Sha256, artifact.ContentType, artifact.ContentLength, artifact.MetadataJson,
            Tags = JsonSerializer.Serialize(artifact.Tags), artifact.StorageKey, CreatedAt = artifact.CreatedAt.UtcTicks,
        }), cancellationToken);
    }

    /// <inheritdoc />
    public Task<Artifact?> GetArtifactAsync(string orgId, string id, CancellationToken cancellationToken) =>
        ReadAsync(db => db.Connection.QuerySingleOrDefault<ArtifactRow>(
            $"SELECT {ArtifactColumns} FROM artifacts WHERE org_id = @orgId AND id = @id", new { orgId, id })?.ToArtifact(), cancellationToken);

    /// <inheritdoc />
    public Task<Page<Artifact>> ListArtifactsAsync(ArtifactQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder("org_id = @OrgId");
        var args = new DynamicParameters(new { query.OrgId, query.Limit, query.Offset });
        if (query.RunId is { } runId) { where.Append(" AND run_id = @RunId"); args.Add("RunId", runId.ToString()); }
        if (query.TaskType is not null) { where.Append(" AND task_type = @TaskType"); args.Add("TaskType", query.TaskType); }
        if (query.Name is not null) { where.Append(" AND name = @Name"); args.Add("Name", query.Name); }
        if (query.Kind is not null) { where.Append(" AND kind = @Kind"); args.Add("Kind", query.Kind); }
        if (query.Sha256 is not null) { where.Append(" AND sha256 = @Sha256"); args.Add("Sha256", query.Sha256); }
        return ReadAsync(db =>
        {
            var total = db.Connection.ExecuteScalar<int>($"SELECT count(*) FROM artifacts WHERE {where}", args);
            var items = db.Connection.Query<ArtifactRow>(
                    $"SELECT {ArtifactColumns} FROM artifacts WHERE {where} ORDER BY created_at DESC, id DESC LIMIT @Limit OFFSET @Offset", args)
                .Select(r => r.ToArtifact()).ToList();
            return new Page<Artifact>(items, total);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<Artifact?> DeleteArtifactAsync(string orgId, string id, CancellationToken cancellationToken) =>
        WriteAsync(tx => tx.Db.Connection.QuerySingleOrDefault<ArtifactRow>(
            $"DELETE FROM artifacts WHERE org_id = @orgId AND id = @id RETURNING {ArtifactColumns}", new { orgId, id })?.ToArtifact(), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<Artifact>> DeleteArtifactsCreatedBeforeAsync(DateTimeOffset createdBefore, int max, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<Artifact>>(tx => tx.Db.Connection.Query<ArtifactRow>($"""
            DELETE FROM artifacts WHERE id IN (SELECT id FROM artifacts WHERE created_at < @before ORDER BY created_at, id LIMIT @max)
            RETURNING {ArtifactColumns}
            """, new { before = createdBefore.UtcTicks, max }).Select(r => r.ToArtifact()).ToList(), cancellationToken);

    private sealed class ArtifactRow
    {
        public string Id { get; set; } = "";
        public string OrgId { get; set; } = "";
        public string Name { get; set; } = "";
        public string? Kind { get; set; }
        public string? RunId { get; set; }
        public string? TaskId { get; set; }
        public string? TaskType { get; set; }
        public string Sha256 { get; set; } = "";
        public string? ContentType { get; set; }
        public long ContentLength { get; set; }
        public string? MetadataJson { get; set; }
        public string Tags { get; set; } = "[]";
        public string StorageKey { get; set; } = "";
        public long CreatedAt { get; set; }

        public Artifact ToArtifact() => new()
        {
            Id = Id, OrgId = OrgId, Name = Name, Kind = Kind, RunId = RunId is null ? null : Guid.Parse(RunId),
            TaskId = TaskId is null ? null : Guid.Parse(TaskId), TaskType = TaskType, Sha256 = Sha256, ContentType = ContentType,
            ContentLength = ContentLength, MetadataJson = MetadataJson, Tags = JsonSerializer.Deserialize<List<string>>(Tags) ?? [],
            StorageKey = StorageKey, CreatedAt = SqliteValues.Time(CreatedAt),
        };
    }
}
