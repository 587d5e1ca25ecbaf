using System.Data.Common;
using System.Text;
using Dapper;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Artifact metadata. The statements stay with this file because no other part of the store uses this table.
public sealed partial class PostgresStore : IArtifactMetadataStore
{
    private const string ArtifactColumns =
        "id, org_id, name, kind, run_id, task_id, task_type, sha256, content_type, content_length, metadata_json, tags, storage_key, created_at";

    /// <inheritdoc />
    public Task RecordArtifactAsync(Artifact artifact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return InTransactionAsync((tx, ct) => tx.ExecAsync(S("""
            INSERT INTO {s}.artifacts (id, org_id, name, kind, run_id, task_id, task_type, sha256, content_type, content_length, metadata_json, tags, storage_key, created_at)
            VALUES (@Id, @OrgId, @Name, @Kind, @RunId, @TaskId, @TaskType, @Sha256, @ContentType, @ContentLength, @MetadataJson, @Tags, @StorageKey, @CreatedAt)
            """), new
        {
            artifact.Id, artifact.OrgId, artifact.Name, artifact.Kind, artifact.RunId, artifact.TaskId, artifact.TaskType, artifact.Sha256,
            artifact.ContentType, artifact.ContentLength, artifact.MetadataJson, Tags = artifact.Tags.ToArray(), artifact.StorageKey,
            CreatedAt = artifact.CreatedAt.ToUniversalTime(),
        }, ct), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Artifact?> GetArtifactAsync(string orgId, string id, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(
            S($"SELECT {ArtifactColumns} FROM {{s}}.artifacts WHERE org_id = @orgId AND id = @id"), new { orgId, id }, ReadArtifact, ct),
            cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public Task<Page<Artifact>> ListArtifactsAsync(ArtifactQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder("org_id = @OrgId");
        var args = new DynamicParameters(new { query.OrgId, query.Limit, query.Offset });
        if (query.RunId is { } runId) { where.Append(" AND run_id = @RunId"); args.Add("RunId", runId); }
        if (query.TaskType is not null) { where.Append(" AND task_type = @TaskType"); args.Add("TaskType", query.TaskType); }
        if (query.Name is not null) { where.Append(" AND name = @Name"); args.Add("Name", query.Name); }
        if (query.Kind is not null) { where.Append(" AND kind = @Kind"); args.Add("Kind", query.Kind); }
        if (query.Sha256 is not null) { where.Append(" AND sha256 = @Sha256"); args.Add("Sha256", query.Sha256); }
        return OnConnectionAsync(async (tx, ct) =>
        {
            var total = await tx.ScalarAsync<long>(S($"SELECT count(*) FROM {{s}}.artifacts WHERE {where}"), args, ct);
            var items = await tx.ReadAsync(
                S($"SELECT {ArtifactColumns} FROM {{s}}.artifacts WHERE {where} ORDER BY created_at DESC, id COLLATE \"C\" DESC LIMIT @Limit OFFSET @Offset"),
                args, ReadArtifact, ct);
            return new Page<Artifact>(items, (int)total);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Artifact?> DeleteArtifactAsync(string orgId, string id, CancellationToken cancellationToken) =>
        (await InTransactionAsync((tx, ct) => tx.ReadAsync(
            S($"DELETE FROM {{s}}.artifacts WHERE org_id = @orgId AND id = @id RETURNING {ArtifactColumns}"), new { orgId, id }, ReadArtifact, ct),
            cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<IReadOnlyList<Artifact>> DeleteArtifactsCreatedBeforeAsync(DateTimeOffset createdBefore, int max, CancellationToken cancellationToken) =>
        await InTransactionAsync((tx, ct) => tx.ReadAsync(S($$"""
            DELETE FROM {s}.artifacts WHERE id IN (
                SELECT id FROM {s}.artifacts WHERE created_at < @before ORDER BY created_at, id LIMIT @max FOR UPDATE SKIP LOCKED)
            RETURNING {{ArtifactColumns}}
            """), new { before = createdBefore.ToUniversalTime(), max }, ReadArtifact, ct), cancellationToken);

    private static Artifact ReadArtifact(DbDataReader r) => new()
    {
        Id = r.GetString(0), OrgId = r.GetString(1), Name = r.GetString(2), Kind = r.IsDBNull(3) ? null : r.GetString(3),
        RunId = r.IsDBNull(4) ? null : r.GetGuid(4), TaskId = r.IsDBNull(5) ? null : r.GetGuid(5), TaskType = r.IsDBNull(6) ? null : r.GetString(6),
        Sha256 = r.GetString(7), ContentType = r.IsDBNull(8) ? null : r.GetString(8), ContentLength = r.GetInt64(9),
        MetadataJson = r.IsDBNull(10) ? null : r.GetString(10), Tags = r.GetFieldValue<string[]>(11), StorageKey = r.GetString(12),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(13),
    };
}
