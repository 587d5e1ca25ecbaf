using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestration.Diagnostics;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Artifacts;

/// <summary>
/// Content first, then metadata: a row always has its bytes behind it. Deletes go the other way (row, then bytes), so a
/// reader never finds a row whose content is gone; a failure in between leaves an unreferenced file, never a dangling row.
/// </summary>
internal sealed partial class ArtifactClient(
    IArtifactStore content,
    IArtifactMetadataStore metadata,
    ArtifactOptions options,
    TimeProvider time,
    ILogger<ArtifactClient> logger) : IArtifactClient
{
    public long MaxArtifactBytes => options.MaxArtifactBytes;

    public async Task<Artifact> UploadAsync(ArtifactUpload upload, Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(stream);
        Validate(upload);
        var stored = await content.WriteAsync(stream, options.MaxArtifactBytes, cancellationToken);
        var artifact = new Artifact
        {
            Id = Guid.CreateVersion7().ToString(),
            OrgId = upload.OrgId,
            Name = upload.Name,
            Kind = upload.Kind,
            RunId = upload.RunId,
            TaskId = upload.TaskId,
            TaskType = upload.TaskType,
            Sha256 = stored.Sha256,
            ContentType = upload.ContentType,
            ContentLength = stored.Length,
            MetadataJson = upload.MetadataJson,
            Tags = upload.Tags.ToList(),
            StorageKey = stored.Key,
            CreatedAt = time.GetUtcNow(),
        };
        try
        {
            await metadata.RecordArtifactAsync(artifact, cancellationToken);
        }
        catch
        {
            await content.DeleteAsync(stored.Key, CancellationToken.None);
            throw;
        }

        ArtifactMetrics.Uploaded.Add(1);
        ArtifactMetrics.UploadedBytes.Add(stored.Length);
        return artifact;
    }

    public async Task<Artifact?> FindAsync(string orgId, string idOrSha256, CancellationToken cancellationToken)
    {
        if (await metadata.GetArtifactAsync(orgId, idOrSha256, cancellationToken) is { } byId) return byId;
        if (idOrSha256 is not { Length: 64 } || !idOrSha256.All(char.IsAsciiHexDigit)) return null;
        var bySha = await metadata.ListArtifactsAsync(new ArtifactQuery { OrgId = orgId, Sha256 = idOrSha256.ToLowerInvariant(), Limit = 1 }, cancellationToken);
        return bySha.Items.Count > 0 ? bySha.Items[0] : null;
    }

    public Task<Page<Artifact>> ListAsync(ArtifactQuery query, CancellationToken cancellationToken) => metadata.ListArtifactsAsync(query, cancellationToken);

    public Task<Stream?> OpenReadAsync(Artifact artifact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return content.OpenReadAsync(artifact.StorageKey, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string orgId, string id, CancellationToken cancellationToken)
    {
        var deleted = await metadata.DeleteArtifactAsync(orgId, id, cancellationToken);
        if (deleted is null) return false;
        await DeleteContentAsync(deleted);
        return true;
    }

    /// <summary>One retention batch: rows first (one transaction), then their files. Returns how many artifacts went.</summary>
    internal async Task<int> DeleteExpiredBatchAsync(TimeSpan ttl, int batchSize, CancellationToken cancellationToken)
    {
        var deleted = await metadata.DeleteArtifactsCreatedBeforeAsync(time.GetUtcNow() - ttl, batchSize, cancellationToken);
        foreach (var artifact in deleted) await DeleteContentAsync(artifact);
        if (content is FileSystemArtifactStore files) files.DeleteStaleTemporaryFiles(FileSystemArtifactStore.StaleTempAge, time.GetUtcNow());
        return deleted.Count;
    }

    private async Task DeleteContentAsync(Artifact artifact)
    {
        try
        {
            // Not the caller's token: the row is gone, so the bytes must go too even if the caller stopped waiting.
            await content.DeleteAsync(artifact.StorageKey, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogContentNotDeleted(logger, artifact.Id, artifact.StorageKey, e);
        }
    }

    private static void Validate(ArtifactUpload upload)
    {
        if (string.IsNullOrEmpty(upload.OrgId)) throw new ArtifactValidationException("org", "is required");
        if (ArtifactNames.NameProblem(upload.Name) is { } name) throw new ArtifactValidationException("name", name);
        if (ArtifactNames.LabelProblem(upload.Kind) is { } kind) throw new ArtifactValidationException("kind", kind);
        if (ArtifactNames.LabelProblem(upload.TaskType) is { } taskType) throw new ArtifactValidationException("task_type", taskType);
        if (ArtifactNames.LabelProblem(upload.ContentType) is { } contentType) throw new ArtifactValidationException("content_type", contentType);
        if (upload.Tags.Count > ArtifactNames.MaxTags) throw new ArtifactValidationException("tags", $"must be at most {ArtifactNames.MaxTags}");
        foreach (var tag in upload.Tags)
            if (ArtifactNames.LabelProblem(tag) is { } tagProblem) throw new ArtifactValidationException("tags", tagProblem);
        if (upload.MetadataJson is { } json)
        {
            if (json.Length > ArtifactNames.MaxMetadataChars) throw new ArtifactValidationException("metadata", $"must be at most {ArtifactNames.MaxMetadataChars} characters");
            try
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ArtifactValidationException("metadata", "must be a JSON object");
            }
            catch (JsonException)
            {
                throw new ArtifactValidationException("metadata", "must be a JSON object");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Artifact {ArtifactId}: its row is deleted but its content {StorageKey} could not be; the file stays until removed by hand")]
    private static partial void LogContentNotDeleted(ILogger logger, string artifactId, string storageKey, Exception exception);
}
