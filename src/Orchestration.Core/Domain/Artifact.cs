namespace Orchestration.Domain;

/// <summary>
/// A blob a task (or a client) stored with a run: its metadata as the database keeps it. The content lives in the
/// host's <c>IArtifactStore</c> under <see cref="StorageKey"/>, which the store generated: never the client's name.
/// </summary>
public sealed record Artifact
{
    /// <summary>Id of the artifact.</summary>
    public required string Id { get; init; }
    /// <summary>Owning org; every read is scoped by it.</summary>
    public required string OrgId { get; init; }
    /// <summary>The name given at upload (a file name, never a path).</summary>
    public required string Name { get; init; }
    /// <summary>A free-form kind (Formicary's <c>kind</c>), or null.</summary>
    public string? Kind { get; init; }
    /// <summary>The run (Formicary's job request) it belongs to, or null.</summary>
    public Guid? RunId { get; init; }
    /// <summary>The task that produced it, or null.</summary>
    public Guid? TaskId { get; init; }
    /// <summary>The producing task's type (Formicary's <c>task_type</c>), or null.</summary>
    public string? TaskType { get; init; }
    /// <summary>Lower-case hex SHA-256 of the content, computed while it was stored.</summary>
    public required string Sha256 { get; init; }
    /// <summary>Media type given at upload, or null.</summary>
    public string? ContentType { get; init; }
    /// <summary>Length of the content in bytes.</summary>
    public required long ContentLength { get; init; }
    /// <summary>A JSON object of string values given at upload, or null.</summary>
    public string? MetadataJson { get; init; }
    /// <summary>Tags given at upload.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Where the content store keeps the bytes (its own generated key).</summary>
    public required string StorageKey { get; init; }
    /// <summary>When it was stored.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}
