using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// Artifact metadata: one row per artifact, scoped by org. The content is not here: it lives in an
/// <c>Orchestration.Artifacts.IArtifactStore</c> under <see cref="Artifact.StorageKey"/>. Every operation is atomic.
/// </summary>
public interface IArtifactMetadataStore
{
    /// <summary>Records a stored artifact. Its content is already in the content store.</summary>
    Task RecordArtifactAsync(Artifact artifact, CancellationToken cancellationToken);

    /// <summary>The artifact with this id in the org, or null.</summary>
    Task<Artifact?> GetArtifactAsync(string orgId, string id, CancellationToken cancellationToken);

    /// <summary>Matching artifacts of the org, newest first (ties by id, descending), with the number that match.</summary>
    Task<Page<Artifact>> ListArtifactsAsync(ArtifactQuery query, CancellationToken cancellationToken);

    /// <summary>Deletes the artifact's row and returns it (so its content can be deleted next), or null when the org has no such artifact.</summary>
    Task<Artifact?> DeleteArtifactAsync(string orgId, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Retention: deletes up to <paramref name="max"/> artifacts of any org created before <paramref name="createdBefore"/>,
    /// oldest first, in one transaction, and returns them so their content can be deleted.
    /// </summary>
    Task<IReadOnlyList<Artifact>> DeleteArtifactsCreatedBeforeAsync(DateTimeOffset createdBefore, int max, CancellationToken cancellationToken);
}

/// <summary>Filter and page of <see cref="IArtifactMetadataStore.ListArtifactsAsync"/>; null filters match anything.</summary>
public sealed record ArtifactQuery
{
    /// <summary>The caller's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>Only artifacts of this run.</summary>
    public Guid? RunId { get; init; }
    /// <summary>Only artifacts of this task type.</summary>
    public string? TaskType { get; init; }
    /// <summary>Only artifacts of this name.</summary>
    public string? Name { get; init; }
    /// <summary>Only artifacts of this kind.</summary>
    public string? Kind { get; init; }
    /// <summary>Only artifacts with this content digest (lower-case hex).</summary>
    public string? Sha256 { get; init; }
    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 20;
    /// <summary>Items to skip.</summary>
    public int Offset { get; init; }
}
