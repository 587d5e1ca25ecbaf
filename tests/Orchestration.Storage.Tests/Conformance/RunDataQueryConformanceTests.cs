using System.Globalization;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>Foreman's run-data query parameters (keys, keyPattern, tagStartsWith, sortBy=updated_at) and paging in the store.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RunDataQueryConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private Run _run = null!;

    [SetUp]
    public async Task CreateRun() => _run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true })).Run;

    private async Task<RunDataEntry> PutAsync(string key, string value, params string[] tags)
    {
        var entry = await Client.PutRunDataAsync(Org, _run.Id, new RunDataSpec { Key = key, ValueJson = value, Tags = tags });
        Time.Advance(TimeSpan.FromMilliseconds(5));
        return entry!;
    }

    private RunDataQuery Query() => new() { OrgId = Org, RunId = _run.Id, SortBy = RunDataSortField.Key, Descending = false };

    private async Task<string[]> KeysAsync(RunDataQuery query) =>
        (await Queries.QueryRunDataAsync(query, CancellationToken.None)).Items.Select(e => e.Key).ToArray();

    [Test]
    public async Task QueryRunData_KeyFilters_CombineWithOr()
    {
        foreach (var key in new[] { "alpha", "beta", "gamma", "model.loss", "model.acc", "other" }) await PutAsync(key, "1");

        var keys = await KeysAsync(Query() with { Keys = ["alpha", "beta", "missing"] });
        var mixed = await KeysAsync(Query() with { Key = "gamma", Keys = ["alpha"], KeyPrefixes = ["model."], KeyPattern = "o*r" });

        Assert.That(keys, Is.EqualTo(new[] { "alpha", "beta" }));
        Assert.That(mixed, Is.EqualTo(new[] { "alpha", "gamma", "model.acc", "model.loss", "other" }));
    }

    [Test]
    public async Task QueryRunData_KeyPattern_OnlyStarAndQuestionMarkAreWildcards()
    {
        foreach (var key in new[] { "a%b", "a_b", "axb", "ab", "a[1]", "a1", "A.b", "a\\b" }) await PutAsync(key, "1");

        Assert.That(await KeysAsync(Query() with { KeyPattern = "a?b" }), Is.EqualTo(new[] { "a%b", "a\\b", "a_b", "axb" }));
        Assert.That(await KeysAsync(Query() with { KeyPattern = "a%b" }), Is.EqualTo(new[] { "a%b" }));
        Assert.That(await KeysAsync(Query() with { KeyPattern = "a_b" }), Is.EqualTo(new[] { "a_b" }));
        Assert.That(await KeysAsync(Query() with { KeyPattern = "a[1]" }), Is.EqualTo(new[] { "a[1]" }));
        Assert.That(await KeysAsync(Query() with { KeyPattern = "a\\b" }), Is.EqualTo(new[] { "a\\b" }));
        Assert.That(await KeysAsync(Query() with { KeyPattern = "a*" }), Is.EqualTo(new[] { "a%b", "a1", "a[1]", "a\\b", "a_b", "ab", "axb" }), "case-sensitive");
        Assert.That(await KeysAsync(Query() with { KeyPattern = "*b" }), Is.EqualTo(new[] { "A.b", "a%b", "a\\b", "a_b", "ab", "axb" }));
    }

    [Test]
    public async Task QueryRunData_TagPrefixes_FollowTagModeAndCombineWithTags()
    {
        await PutAsync("both", "1", "env:prod", "team:core");
        await PutAsync("env", "1", "env:dev");
        await PutAsync("team", "1", "team:web", "reviewed");
        await PutAsync("none", "1", "misc");

        var any = await KeysAsync(Query() with { TagPrefixes = ["env:", "team:"] });
        var all = await KeysAsync(Query() with { TagPrefixes = ["env:", "team:"], TagMatch = TagMatch.All });
        var withTags = await KeysAsync(Query() with { TagPrefixes = ["team:"], Tags = ["reviewed"] });
        var literal = await KeysAsync(Query() with { TagPrefixes = ["env%"] });

        Assert.That(any, Is.EqualTo(new[] { "both", "env", "team" }));
        Assert.That(all, Is.EqualTo(new[] { "both" }));
        Assert.That(withTags, Is.EqualTo(new[] { "team" }));
        Assert.That(literal, Is.Empty, "a prefix is literal text, not a LIKE pattern");
    }

    [Test]
    public async Task QueryRunData_SortByUpdatedAt_FollowsTagChanges()
    {
        var first = await PutAsync("first", "1");
        await PutAsync("second", "1");
        await PutAsync("third", "1");
        await Client.ChangeRunDataTagsAsync(new ChangeRunDataTagsParams(Org, _run.Id, first.Id, ["touched"], []));

        var newest = await KeysAsync(Query() with { SortBy = RunDataSortField.UpdatedAt, Descending = true });
        var oldest = await KeysAsync(Query() with { SortBy = RunDataSortField.UpdatedAt, Descending = false });

        Assert.That(newest, Is.EqualTo(new[] { "first", "third", "second" }));
        Assert.That(oldest, Is.EqualTo(new[] { "second", "third", "first" }));
    }

    [Test]
    public async Task QueryRunData_LatestPerKeyPaged_TotalCountsKeysNotEntries()
    {
        for (var round = 0; round < 3; round++)
            for (var k = 0; k < 5; k++)
                await PutAsync($"k{k}", (round * 10 + k).ToString(CultureInfo.InvariantCulture));

        var page = await Queries.QueryRunDataAsync(Query() with { Limit = 2, Offset = 2 }, CancellationToken.None);
        var all = await Queries.QueryRunDataAsync(Query() with { IncludeAll = true, Limit = 4, Offset = 12 }, CancellationToken.None);

        Assert.That(page.Total, Is.EqualTo(5));
        Assert.That(page.Items.Select(e => (e.Key, e.ValueJson)), Is.EqualTo(new[] { ("k2", "22"), ("k3", "23") }));
        Assert.That(all.Total, Is.EqualTo(15));
        Assert.That(all.Items.Select(e => e.ValueJson), Is.EqualTo(new[] { "4", "14", "24" }), "k4's three entries, insertion order within the key");
    }

    [Test]
    public async Task QueryRunData_ThousandsOfListValues_AnswerWithoutHittingParameterLimits()
    {
        await PutAsync("key-17", "1", "tag-17");
        await PutAsync("key-4000", "1", "tag-4000");
        await PutAsync("other", "1", "misc");
        var many = Enumerable.Range(0, 5000).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

        var keys = await KeysAsync(Query() with { Keys = many.Select(i => "key-" + i).ToArray() });
        var prefixes = await KeysAsync(Query() with { KeyPrefixes = many.Select(i => "key-" + i + "x").Append("key-4").ToArray() });
        var tags = await KeysAsync(Query() with { Tags = many.Select(i => "tag-" + i).ToArray(), TagMatch = TagMatch.Any });
        var tagPrefixes = await KeysAsync(Query() with { TagPrefixes = many.Select(i => "tag-" + i).ToArray() });

        Assert.That(keys, Is.EqualTo(new[] { "key-17", "key-4000" }));
        Assert.That(prefixes, Is.EqualTo(new[] { "key-4000" }));
        Assert.That(tags, Is.EqualTo(new[] { "key-17", "key-4000" }));
        Assert.That(tagPrefixes, Is.EqualTo(new[] { "key-17", "key-4000" }));
    }
}
