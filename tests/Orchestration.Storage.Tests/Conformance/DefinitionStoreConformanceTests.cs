namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class DefinitionStoreConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private SaveDefinitionParams Save(string name, string org = Org, string? platform = null, string[]? tags = null, string document = "{}", string? yaml = null) => new()
    {
        Id = Guid.NewGuid().ToString(), OrgId = org, Name = name, Platform = platform, Tags = tags ?? [], DocumentJson = document, RawYaml = yaml,
        CreatedAt = Time.GetUtcNow(),
    };

    [Test]
    public async Task SaveDefinition_SameNameTwice_WritesVersionTwoAndKeepsVersionOne()
    {
        var ct = CancellationToken.None;
        var first = await Definitions.SaveDefinitionAsync(Save("build", document: "{\"v\":1}", yaml: "job_type: build\n"), ct);
        Time.Advance(TimeSpan.FromSeconds(1));
        var second = await Definitions.SaveDefinitionAsync(Save("build", document: "{\"v\":2}"), ct);

        Assert.That((first.Version, second.Version), Is.EqualTo((1, 2)));
        var latest = await Definitions.GetDefinitionByNameAsync(Org, "build", null, ct);
        Assert.That(latest!.Id, Is.EqualTo(second.Id));
        Assert.That(latest.DocumentJson, Is.EqualTo("{\"v\":2}"));
        var pinned = await Definitions.GetDefinitionByNameAsync(Org, "build", 1, ct);
        Assert.That(pinned!.DocumentJson, Is.EqualTo("{\"v\":1}"));
        Assert.That(pinned.RawYaml, Is.EqualTo("job_type: build\n"), "the YAML source is kept verbatim");
        Assert.That(pinned.CreatedAt, Is.EqualTo(first.CreatedAt));
        Assert.That((await Definitions.GetDefinitionAsync(Org, first.Id, ct))!.Version, Is.EqualTo(1), "an old version stays readable by id");
        Assert.That(await Definitions.GetDefinitionByNameAsync(Org, "build", 3, ct), Is.Null);
    }

    [Test]
    public async Task GetDefinition_OtherOrg_NotFound()
    {
        var ct = CancellationToken.None;
        var saved = await Definitions.SaveDefinitionAsync(Save("build"), ct);

        Assert.That(await Definitions.GetDefinitionAsync(OtherOrg, saved.Id, ct), Is.Null);
        Assert.That(await Definitions.GetDefinitionByNameAsync(OtherOrg, "build", null, ct), Is.Null);
        Assert.That(await Definitions.DeleteDefinitionAsync(OtherOrg, "build", ct), Is.False);
        Assert.That(await Definitions.SetDefinitionDisabledAsync(OtherOrg, "build", true, ct), Is.False);
        Assert.That((await Definitions.GetDefinitionAsync(Org, saved.Id, ct))!.Disabled, Is.False);
    }

    [Test]
    public async Task ListDefinitions_SeveralVersionsAndFilters_LatestOfEachMatchingNameWithTotal()
    {
        var ct = CancellationToken.None;
        await Definitions.SaveDefinitionAsync(Save("c-job", platform: "linux", tags: ["ci", "go"]), ct);
        await Definitions.SaveDefinitionAsync(Save("a-job", platform: "linux", tags: ["ci"]), ct);
        await Definitions.SaveDefinitionAsync(Save("a-job", platform: "linux", tags: ["ci", "go"]), ct);
        await Definitions.SaveDefinitionAsync(Save("b-job", platform: "mac", tags: ["go"]), ct);
        await Definitions.SaveDefinitionAsync(Save("z-job", OtherOrg, platform: "linux"), ct);

        var all = await Definitions.ListDefinitionsAsync(new DefinitionQuery { OrgId = Org }, ct);
        var page = await Definitions.ListDefinitionsAsync(new DefinitionQuery { OrgId = Org, Limit = 1, Offset = 1 }, ct);
        var linuxGo = await Definitions.ListDefinitionsAsync(new DefinitionQuery { OrgId = Org, Platform = "linux", Tags = ["go", "ci"] }, ct);
        var byName = await Definitions.ListDefinitionsAsync(new DefinitionQuery { OrgId = Org, Name = "b-job" }, ct);

        Assert.That(all.Items.Select(d => (d.Name, d.Version)), Is.EqualTo(new[] { ("a-job", 2), ("b-job", 1), ("c-job", 1) }));
        Assert.That(all.Total, Is.EqualTo(3));
        Assert.That(page.Items.Select(d => d.Name), Is.EqualTo(new[] { "b-job" }));
        Assert.That(page.Total, Is.EqualTo(3));
        Assert.That(linuxGo.Items.Select(d => d.Name), Is.EqualTo(new[] { "a-job", "c-job" }), "tags of the latest version, all of them required");
        Assert.That(linuxGo.Items[0].Tags, Is.EqualTo(new[] { "ci", "go" }));
        Assert.That(byName.Items.Select(d => d.Name), Is.EqualTo(new[] { "b-job" }));
    }

    [Test]
    public async Task SetDefinitionDisabled_ThenSaveNewVersion_EveryVersionDisabledAndNewOneKeepsIt()
    {
        var ct = CancellationToken.None;
        var first = await Definitions.SaveDefinitionAsync(Save("build"), ct);

        Assert.That(await Definitions.SetDefinitionDisabledAsync(Org, "build", true, ct), Is.True);
        var second = await Definitions.SaveDefinitionAsync(Save("build"), ct);

        Assert.That(second.Disabled, Is.True);
        Assert.That((await Definitions.GetDefinitionAsync(Org, first.Id, ct))!.Disabled, Is.True);
        Assert.That(await Definitions.SetDefinitionDisabledAsync(Org, "build", false, ct), Is.True);
        Assert.That((await Definitions.GetDefinitionByNameAsync(Org, "build", null, ct))!.Disabled, Is.False);
        Assert.That((await Definitions.GetDefinitionAsync(Org, first.Id, ct))!.Disabled, Is.False);
    }

    [Test]
    public async Task DeleteDefinition_SeveralVersions_RemovesEveryVersionAndNextSaveStartsAtOne()
    {
        var ct = CancellationToken.None;
        var first = await Definitions.SaveDefinitionAsync(Save("build"), ct);
        await Definitions.SaveDefinitionAsync(Save("build"), ct);
        await Definitions.SaveDefinitionAsync(Save("other"), ct);

        Assert.That(await Definitions.DeleteDefinitionAsync(Org, "build", ct), Is.True);

        Assert.That(await Definitions.GetDefinitionAsync(Org, first.Id, ct), Is.Null);
        Assert.That(await Definitions.GetDefinitionByNameAsync(Org, "build", null, ct), Is.Null);
        Assert.That(await Definitions.DeleteDefinitionAsync(Org, "build", ct), Is.False);
        Assert.That((await Definitions.ListDefinitionsAsync(new DefinitionQuery { OrgId = Org }, ct)).Items.Select(d => d.Name), Is.EqualTo(new[] { "other" }));
        Assert.That((await Definitions.SaveDefinitionAsync(Save("build"), ct)).Version, Is.EqualTo(1));
    }

    [Test]
    public async Task SaveDefinition_ConcurrentSavesOfOneName_DistinctConsecutiveVersions()
    {
        var ct = CancellationToken.None;
        var saves = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Definitions.SaveDefinitionAsync(Save("build"), ct))));

        Assert.That(saves.Select(s => s.Version).Order(), Is.EqualTo(Enumerable.Range(1, 8)));
        Assert.That((await Definitions.GetDefinitionByNameAsync(Org, "build", null, ct))!.Version, Is.EqualTo(8));
        Assert.That((await Definitions.ListDefinitionsAsync(new DefinitionQuery { OrgId = Org }, ct)).Total, Is.EqualTo(1), "one latest version");
    }
}
