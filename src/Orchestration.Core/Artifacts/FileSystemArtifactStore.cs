using System.Buffers;
using System.Security.Cryptography;

namespace Orchestration.Artifacts;

/// <summary>
/// Artifact content in a directory. Each content gets a generated key (32 hex digits) and lives at
/// <c>root/ab/abcdef…</c>; a key of any other shape is refused, so no name can reach outside the root. A write goes to
/// a temporary file under <c>root/.tmp</c>, hashed as it streams, is flushed to disk and only then moved into place, so a
/// reader never sees a partial file and a crash leaves at most a temporary file, which the store removes later.
/// </summary>
public sealed class FileSystemArtifactStore : IArtifactStore
{
    private const int BufferSize = 81920;
    private const string TempSuffix = ".part";

    /// <summary>Temporary files older than this are a crashed write's leftovers; younger ones may still be written.</summary>
    public static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    private readonly string _root;
    private readonly string _temp;

    /// <summary>A store rooted at <paramref name="rootPath"/> (created on first write).</summary>
    public FileSystemArtifactStore(string rootPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootPath);
        _root = Path.GetFullPath(rootPath);
        _temp = Path.Combine(_root, ".tmp");
    }

    /// <summary>The root directory, as a full path.</summary>
    public string RootPath => _root;

    /// <inheritdoc />
    public async Task<StoredContent> WriteAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        Directory.CreateDirectory(_temp);
        var key = Guid.NewGuid().ToString("N");
        var temp = Path.Combine(_temp, key + TempSuffix);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                {
                    length += read;
                    if (length > maxBytes) throw new ArtifactTooLargeException(maxBytes);
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                // Durable before it becomes visible: the move below must never publish bytes still in the page cache.
                file.Flush(flushToDisk: true);
            }

            var final = PathOf(key)!;
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            File.Move(temp, final);
            return new StoredContent(key, Convert.ToHexStringLower(hash.GetHashAndReset()), length);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (path is null || !File.Exists(path)) return Task.FromResult<Stream?>(null);
        try
        {
            // FileShare.Delete: retention may delete an artifact someone is downloading; the download finishes.
            return Task.FromResult<Stream?>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 0,
                FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (path is null || !File.Exists(path)) return Task.FromResult(false);
        File.Delete(path);
        return Task.FromResult(true);
    }

    /// <summary>Deletes temporary files older than <paramref name="olderThan"/> (a crashed write's leftovers); returns how many.</summary>
    public int DeleteStaleTemporaryFiles(TimeSpan olderThan, DateTimeOffset now)
    {
        if (!Directory.Exists(_temp)) return 0;
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(_temp, "*" + TempSuffix))
        {
            if (now - File.GetLastWriteTimeUtc(file) < olderThan) continue;
            if (TryDelete(file)) deleted++;
        }

        return deleted;
    }

    /// <summary>The file of a key, or null for anything but a key this store generates.</summary>
    private string? PathOf(string key)
    {
        if (key is not { Length: 32 } || !key.All(char.IsAsciiHexDigitLower)) return null;
        return Path.Combine(_root, key[..2], key);
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
