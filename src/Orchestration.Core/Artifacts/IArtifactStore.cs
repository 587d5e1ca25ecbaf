namespace Orchestration.Artifacts;

/// <summary>
/// Where artifact content lives: a filesystem (<see cref="FileSystemArtifactStore"/>), or any object store a host plugs
/// in (an S3-compatible bucket, see docs/artifacts.md). The store names content by keys it generates itself, so a
/// client's artifact name never becomes a path or an object key. Metadata lives in the database, not here.
/// </summary>
public interface IArtifactStore
{
    /// <summary>
    /// Streams <paramref name="content"/> into the store, computing its SHA-256 on the way, and makes it readable under a
    /// new key only once every byte is durable. Never buffers the whole content in memory. More than
    /// <paramref name="maxBytes"/> bytes throws <see cref="ArtifactTooLargeException"/>; on any failure nothing stays behind.
    /// </summary>
    Task<StoredContent> WriteAsync(Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the content of <paramref name="key"/> for reading, or null when the store has no such key. A seekable stream
    /// lets the HTTP layer answer range requests; a store that cannot seek returns a forward-only stream and downloads
    /// are then served whole.
    /// </summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes the content of <paramref name="key"/>; false when there was none.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>What <see cref="IArtifactStore.WriteAsync"/> stored.</summary>
/// <param name="Key">The store's key for the content.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the bytes stored.</param>
/// <param name="Length">Bytes stored.</param>
public sealed record StoredContent(string Key, string Sha256, long Length);

/// <summary>The content was longer than the artifact size limit; nothing was stored.</summary>
public sealed class ArtifactTooLargeException : Exception
{
    /// <summary>A refusal naming the limit.</summary>
    public ArtifactTooLargeException(long maxBytes)
        : base($"artifact content exceeds the limit of {maxBytes} bytes") => MaxBytes = maxBytes;

    /// <summary>A refusal with a message of its own.</summary>
    public ArtifactTooLargeException() : base("artifact content exceeds the size limit") { }

    /// <summary>A refusal with a message of its own.</summary>
    public ArtifactTooLargeException(string message) : base(message) { }

    /// <summary>A refusal with a message and a cause.</summary>
    public ArtifactTooLargeException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The limit that was exceeded.</summary>
    public long MaxBytes { get; }
}

/// <summary>An artifact's metadata was refused (a name that could be a path, a bad tag, ...); nothing was stored.</summary>
public sealed class ArtifactValidationException : Exception
{
    /// <summary>A refusal naming the field.</summary>
    public ArtifactValidationException(string field, string message) : base($"{field} {message}") => Field = field;

    /// <summary>A refusal without a field.</summary>
    public ArtifactValidationException() : base("artifact refused") => Field = "";

    /// <summary>A refusal with a message of its own.</summary>
    public ArtifactValidationException(string message) : base(message) => Field = "";

    /// <summary>A refusal with a message and a cause.</summary>
    public ArtifactValidationException(string message, Exception innerException) : base(message, innerException) => Field = "";

    /// <summary>The refused field (<c>name</c>, <c>tags</c>, ...).</summary>
    public string Field { get; }
}
