using System.Security.Cryptography;
using Orchestration.Artifacts;

namespace Orchestration.Core.Tests.Artifacts;

public sealed class FileSystemArtifactStoreTests
{
    private string _root = null!;
    private FileSystemArtifactStore _store = null!;

    [SetUp]
    public void CreateRoot()
    {
        _root = Path.Combine(Path.GetTempPath(), "orchestration-fs-artifacts-" + Guid.NewGuid().ToString("N"));
        _store = new FileSystemArtifactStore(_root);
    }

    [TearDown]
    public void DeleteRoot()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Test]
    public async Task WriteAsync_Content_Sha256LengthAndSameBytesBack()
    {
        var bytes = RandomNumberGenerator.GetBytes(300_000);

        var stored = await _store.WriteAsync(new MemoryStream(bytes), bytes.Length, CancellationToken.None);
        await using var read = await _store.OpenReadAsync(stored.Key, CancellationToken.None);
        using var copy = new MemoryStream();
        await read!.CopyToAsync(copy);

        Assert.That(stored.Sha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(bytes))));
        Assert.That(stored.Length, Is.EqualTo(bytes.Length));
        Assert.That(copy.ToArray(), Is.EqualTo(bytes));
        Assert.That(read.CanSeek, Is.True, "a seekable stream is what lets downloads answer range requests");
        Assert.That(Directory.EnumerateFiles(Path.Combine(_root, ".tmp")), Is.Empty, "the temporary file was moved into place");
    }

    [Test]
    public void WriteAsync_OverTheLimit_ThrowsAndLeavesNoFile()
    {
        Assert.ThrowsAsync<ArtifactTooLargeException>(() => _store.WriteAsync(new MemoryStream(new byte[101]), 100, CancellationToken.None));

        Assert.That(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories), Is.Empty);
    }

    [TestCase("../../etc/passwd")]
    [TestCase("ab/../../../etc/passwd")]
    [TestCase("/etc/passwd")]
    [TestCase("0123456789ABCDEF0123456789ABCDEF")]
    [TestCase("")]
    public async Task OpenReadAndDelete_KeyNotGeneratedByTheStore_NothingOutsideTheRootIsTouched(string key)
    {
        Assert.That(await _store.OpenReadAsync(key, CancellationToken.None), Is.Null);
        Assert.That(await _store.DeleteAsync(key, CancellationToken.None), Is.False);
    }

    [Test]
    public async Task DeleteStaleTemporaryFiles_CrashedWriteLeftovers_OnlyOldOnesDeleted()
    {
        await _store.WriteAsync(new MemoryStream([1]), 10, CancellationToken.None);
        var temp = Path.Combine(_root, ".tmp");
        var stale = Path.Combine(temp, Guid.NewGuid().ToString("N") + ".part");
        var young = Path.Combine(temp, Guid.NewGuid().ToString("N") + ".part");
        await File.WriteAllBytesAsync(stale, [1]);
        await File.WriteAllBytesAsync(young, [1]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));

        var deleted = _store.DeleteStaleTemporaryFiles(FileSystemArtifactStore.StaleTempAge, DateTimeOffset.UtcNow);

        Assert.That(deleted, Is.EqualTo(1));
        Assert.That((File.Exists(stale), File.Exists(young)), Is.EqualTo((false, true)));
    }
}
