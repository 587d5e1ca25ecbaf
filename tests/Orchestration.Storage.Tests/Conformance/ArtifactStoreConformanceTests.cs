using Orchestration.Domain;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class ArtifactStoreConformanceTests(Backend backend) : ConformanceTest(backend)
{
    // The database-clock backend wraps the store in proxies; artifact operations take their times as arguments, so the
    // raw store it hands out for webhooks serves here too.
    private IArtifactMetadataStore Artifacts => Store as IArtifactMetadataStore ?? (IArtifactMetadataStore)Webhooks;

    private Artifact New(string name, string org = Org, Guid? run = null, string? taskType = null, string? kind = null, string sha = "aa", TimeSpan? age = null) => new()
    {
        Id = Guid.CreateVersion7().ToString(), OrgId = org, Name = name, Kind = kind, RunId = run, TaskId = run is null ? null : Guid.NewGuid(),
        TaskType = taskType, Sha256 = sha.PadRight(64, '0'), ContentType = "text/plain", ContentLength = 42, MetadataJson = """{"k":"v"}""",
        Tags = ["t1", "t2"], StorageKey = Guid.NewGuid().ToString("N"), CreatedAt = Time.GetUtcNow() - (age ?? TimeSpan.Zero),
    };

    [Test]
    public async Task RecordArtifact_ThenGet_RoundTripsEveryField()
    {
        var ct = CancellationToken.None;
        var artifact = New("report.txt", run: Guid.NewGuid(), taskType: "build", kind: "log");
        await Artifacts.RecordArtifactAsync(artifact, ct);

        var read = await Artifacts.GetArtifactAsync(Org, artifact.Id, ct);
        Assert.That(read, Is.Not.Null);
        Assert.That(read! with { Tags = artifact.Tags }, Is.EqualTo(artifact));
        Assert.That(read.Tags, Is.EqualTo(artifact.Tags));
    }

    [Test]
    public async Task GetArtifact_OtherOrg_NotFoundNotListedNotDeleted()
    {
        var ct = CancellationToken.None;
        var artifact = New("report.txt");
        await Artifacts.RecordArtifactAsync(artifact, ct);

        Assert.That(await Artifacts.GetArtifactAsync(OtherOrg, artifact.Id, ct), Is.Null);
        Assert.That((await Artifacts.ListArtifactsAsync(new ArtifactQuery { OrgId = OtherOrg }, ct)).Total, Is.Zero);
        Assert.That(await Artifacts.DeleteArtifactAsync(OtherOrg, artifact.Id, ct), Is.Null);
        Assert.That(await Artifacts.GetArtifactAsync(Org, artifact.Id, ct), Is.Not.Null);
    }

    [Test]
    public async Task ListArtifacts_FiltersAndPage_NewestFirstWithTotal()
    {
        var ct = CancellationToken.None;
        var run = Guid.NewGuid();
        var oldest = New("a.txt", run: run, taskType: "build", kind: "log", sha: "11", age: TimeSpan.FromMinutes(3));
        var middle = New("b.txt", run: run, taskType: "test", kind: "log", sha: "22", age: TimeSpan.FromMinutes(2));
        var newest = New("a.txt", run: run, taskType: "build", kind: "bin", sha: "11", age: TimeSpan.FromMinutes(1));
        var otherRun = New("a.txt", run: Guid.NewGuid(), taskType: "build", sha: "33");
        foreach (var a in new[] { oldest, middle, newest, otherRun }) await Artifacts.RecordArtifactAsync(a, ct);

        async Task<(List<string> Ids, int Total)> Ids(ArtifactQuery q)
        {
            var page = await Artifacts.ListArtifactsAsync(q, ct);
            return (page.Items.Select(a => a.Id).ToList(), page.Total);
        }

        Assert.That(await Ids(new ArtifactQuery { OrgId = Org, RunId = run }), Is.EqualTo((new List<string> { newest.Id, middle.Id, oldest.Id }, 3)));
        Assert.That(await Ids(new ArtifactQuery { OrgId = Org, RunId = run, TaskType = "build" }), Is.EqualTo((new List<string> { newest.Id, oldest.Id }, 2)));
        Assert.That(await Ids(new ArtifactQuery { OrgId = Org, Name = "a.txt", Kind = "log" }), Is.EqualTo((new List<string> { oldest.Id }, 1)));
        Assert.That(await Ids(new ArtifactQuery { OrgId = Org, Sha256 = "11".PadRight(64, '0') }), Is.EqualTo((new List<string> { newest.Id, oldest.Id }, 2)));
        Assert.That(await Ids(new ArtifactQuery { OrgId = Org, Limit = 2, Offset = 1 }), Is.EqualTo((new List<string> { newest.Id, middle.Id }, 4)),
            "the page skips the newest (otherRun) and counts every match");
    }

    [Test]
    public async Task DeleteArtifact_Existing_ReturnsTheRowAndRemovesIt()
    {
        var ct = CancellationToken.None;
        var artifact = New("report.txt");
        await Artifacts.RecordArtifactAsync(artifact, ct);

        var deleted = await Artifacts.DeleteArtifactAsync(Org, artifact.Id, ct);

        Assert.That(deleted?.StorageKey, Is.EqualTo(artifact.StorageKey), "the caller needs the key to delete the content");
        Assert.That(await Artifacts.GetArtifactAsync(Org, artifact.Id, ct), Is.Null);
        Assert.That(await Artifacts.DeleteArtifactAsync(Org, artifact.Id, ct), Is.Null);
    }

    [Test]
    public async Task DeleteArtifactsCreatedBefore_MixedAges_DeletesOldestFirstUpToMaxInEveryOrg()
    {
        var ct = CancellationToken.None;
        var oldest = New("1", age: TimeSpan.FromDays(3));
        var older = New("2", org: OtherOrg, age: TimeSpan.FromDays(2));
        var old = New("3", age: TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var fresh = New("4", age: TimeSpan.FromHours(1));
        foreach (var a in new[] { fresh, old, older, oldest }) await Artifacts.RecordArtifactAsync(a, ct);
        var cutoff = Time.GetUtcNow() - TimeSpan.FromDays(1);

        var first = await Artifacts.DeleteArtifactsCreatedBeforeAsync(cutoff, 2, ct);
        var second = await Artifacts.DeleteArtifactsCreatedBeforeAsync(cutoff, 2, ct);

        Assert.That(first.Select(a => a.Name), Is.EquivalentTo(new[] { "1", "2" }), "the two oldest, whatever their org");
        Assert.That(second.Select(a => a.Name), Is.EqualTo(new[] { "3" }));
        Assert.That(await Artifacts.GetArtifactAsync(Org, fresh.Id, ct), Is.Not.Null, "an artifact younger than the cut-off stays");
    }
}
