using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Artifacts;
using Orchestration.Hosting;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Artifacts;

public sealed class ArtifactRetentionTests
{
    private string _root = null!;
    private FakeTimeProvider _time = null!;
    private ArtifactClient _client = null!;
    private readonly ArtifactOptions _options = new() { RetentionTtl = TimeSpan.FromDays(7), RetentionBatchSize = 2 };

    [SetUp]
    public void Create()
    {
        _root = Path.Combine(Path.GetTempPath(), "orchestration-retention-artifacts-" + Guid.NewGuid().ToString("N"));
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _client = new ArtifactClient(new FileSystemArtifactStore(_root), new InMemoryStore(_time), _options, _time, NullLogger<ArtifactClient>.Instance);
    }

    [TearDown]
    public void Delete()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private Task<Orchestration.Domain.Artifact> UploadAsync(string name) =>
        _client.UploadAsync(new ArtifactUpload { OrgId = "org", Name = name }, new MemoryStream(Encoding.UTF8.GetBytes(name)), CancellationToken.None);

    private ArtifactRetentionService Service(bool leads) =>
        new(_options, _client, new FixedLeader(leads), _time, NullLogger<ArtifactRetentionService>.Instance);

    [Test]
    public async Task RunOnceAsync_ExpiredAndFresh_DeletesExpiredRowsAndContentInBatchesKeepsFresh()
    {
        var old = new[] { await UploadAsync("a"), await UploadAsync("b"), await UploadAsync("c") };
        _time.Advance(TimeSpan.FromDays(6));
        var fresh = await UploadAsync("d");
        _time.Advance(TimeSpan.FromDays(2));

        var deleted = await Service(leads: true).RunOnceAsync(CancellationToken.None);

        Assert.That(deleted, Is.EqualTo(3), "three expired artifacts, over two batches of two");
        foreach (var a in old) Assert.That(await _client.FindAsync("org", a.Id, CancellationToken.None), Is.Null);
        var kept = await _client.FindAsync("org", fresh.Id, CancellationToken.None);
        Assert.That(kept, Is.Not.Null);
        Assert.That(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Count(), Is.EqualTo(1), "only the fresh artifact's content is left");
    }

    [Test]
    public async Task RunOnceAsync_NotTheLeader_DeletesNothing()
    {
        var artifact = await UploadAsync("a");
        _time.Advance(TimeSpan.FromDays(8));

        var deleted = await Service(leads: false).RunOnceAsync(CancellationToken.None);

        Assert.That(deleted, Is.Null);
        Assert.That(await _client.FindAsync("org", artifact.Id, CancellationToken.None), Is.Not.Null);
    }

    [Test]
    public void UploadAsync_PathTraversalName_RefusedBeforeAnyContentIsRead()
    {
        var content = new MemoryStream([1, 2, 3]);

        var e = Assert.ThrowsAsync<ArtifactValidationException>(() =>
            _client.UploadAsync(new ArtifactUpload { OrgId = "org", Name = "../secrets" }, content, CancellationToken.None));

        Assert.That(e!.Field, Is.EqualTo("name"));
        Assert.That(content.Position, Is.Zero);
        Assert.That(Directory.Exists(_root), Is.False);
    }

    private sealed class FixedLeader(bool leads) : ILeaderElector
    {
        public ValueTask<bool> TryLeadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(leads);
    }
}
