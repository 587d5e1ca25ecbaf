using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Artifacts;

/// <summary>
/// Stores, finds, reads and deletes artifacts: content through the host's <see cref="IArtifactStore"/>, metadata through
/// the database (<see cref="IArtifactMetadataStore"/>). Every call is scoped by org. Registered by <c>AddArtifacts</c>.
/// </summary>
public interface IArtifactClient
{
    /// <summary>The size limit uploads are held to.</summary>
    long MaxArtifactBytes { get; }

    /// <summary>
    /// Streams <paramref name="content"/> into the content store and records it. Throws
    /// <see cref="ArtifactValidationException"/> for refused metadata (before reading any content) and
    /// <see cref="ArtifactTooLargeException"/> over the size limit; either way nothing is kept.
    /// </summary>
    Task<Artifact> UploadAsync(ArtifactUpload upload, Stream content, CancellationToken cancellationToken);

    /// <summary>The artifact with this id in the org, else the newest one whose SHA-256 is <paramref name="idOrSha256"/>, or null.</summary>
    Task<Artifact?> FindAsync(string orgId, string idOrSha256, CancellationToken cancellationToken);

    /// <summary>Matching artifacts, newest first.</summary>
    Task<Page<Artifact>> ListAsync(ArtifactQuery query, CancellationToken cancellationToken);

    /// <summary>Opens an artifact's content, or null when the content store no longer has it.</summary>
    Task<Stream?> OpenReadAsync(Artifact artifact, CancellationToken cancellationToken);

    /// <summary>Deletes the artifact's metadata, then its content; false when the org has no such artifact.</summary>
    Task<bool> DeleteAsync(string orgId, string id, CancellationToken cancellationToken);
}

/// <summary>The metadata of an upload (<see cref="IArtifactClient.UploadAsync"/>).</summary>
public sealed record ArtifactUpload
{
    /// <summary>Owning org.</summary>
    public required string OrgId { get; init; }
    /// <summary>A file name: no path separators, no <c>..</c>, no control characters, at most 255 characters.</summary>
    public required string Name { get; init; }
    /// <summary>Free-form kind, or null.</summary>
    public string? Kind { get; init; }
    /// <summary>The run it belongs to, or null.</summary>
    public Guid? RunId { get; init; }
    /// <summary>The task that produced it, or null.</summary>
    public Guid? TaskId { get; init; }
    /// <summary>The producing task's type, or null.</summary>
    public string? TaskType { get; init; }
    /// <summary>Media type, or null.</summary>
    public string? ContentType { get; init; }
    /// <summary>A JSON object, or null.</summary>
    public string? MetadataJson { get; init; }
    /// <summary>Tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
}
