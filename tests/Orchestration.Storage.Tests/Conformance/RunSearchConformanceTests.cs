using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RunSearchConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static readonly string[] Declared = ["attempts", "big", "customer", "dry", "env", "note", "size"];

    [SetUp]
    public Task DeclareFields() => DeclareAsync(Declared);

    private Task<SearchFieldsDeclared> DeclareAsync(params string[] fields) =>
        SearchIndex.DeclareSearchFieldsAsync(new DeclareSearchFieldsParams(fields), CancellationToken.None);

    // Batches of one run, reopening the store between batches (a restart, on the stores that persist) to show the backfill
    // resumes where it stopped. Returns the runs read per batch.
    private async Task<List<int>> BackfillAsync()
    {
        var batches = new List<int>();
        for (var i = 0; i < 100; i++)
        {
            var progress = await SearchIndex.BackfillSearchFieldsAsync(new BackfillSearchFieldsParams(1), CancellationToken.None);
            batches.Add(progress.RunsRead);
            if (progress.Pending.Count == 0) return batches;
            await ReopenStoreAsync();
        }

        throw new AssertionException("the backfill did not finish in 100 batches");
    }
    private async Task<Guid> CreateAsync(string? input = null, string? taskInput = null, string org = Org, string family = "workflows")
    {
        var created = await Client.CreateRunAsync(new RunSpec
        {
            OrgId = org, Family = family, InputJson = input, Tasks = [new TaskSpec { Type = "t", InputJson = taskInput }],
        });
        Time.Advance(TimeSpan.FromSeconds(1));
        return created.Run.Id;
    }

    private Task PutAsync(Guid run, string key, params string[] tags) =>
        Client.PutRunDataAsync(Org, run, new RunDataSpec { Key = key, ValueJson = "1", Tags = tags });

    private async Task<Guid[]> IdsAsync(RunQuery query) =>
        [.. (await Queries.ListRunsAsync(query, CancellationToken.None)).Items.Select(r => r.Id)];

    [Test]
    public async Task ListRuns_InputField_MatchesRunAndTaskInputsByTopLevelStringIntegerOrBoolean()
    {
        var byRun = await CreateAsync(input: """{"customer":"acme","region":"eu"}""");
        var byTask = await CreateAsync(taskInput: """{"customer":"acme","attempts":3,"dry":true}""");
        var other = await CreateAsync(input: """{"customer":"globex","nested":{"customer":"acme"}}""");
        await CreateAsync(input: """{"customer":"acme"}""", org: OtherOrg);

        var acme = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, InputField = "customer", InputValue = "acme" }, CancellationToken.None);

        Assert.That(acme.Items.Select(r => r.Id), Is.EqualTo(new[] { byTask, byRun }), "newest first; a nested field is not a top-level one; another org's run is not seen");
        Assert.That(acme.Total, Is.EqualTo(2));
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, InputField = "attempts", InputValue = "3" }), Is.EqualTo(new[] { byTask }));
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, InputField = "dry", InputValue = "true" }), Is.EqualTo(new[] { byTask }));
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, InputField = "customer", InputValue = "globex" }), Is.EqualTo(new[] { other }));
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, InputField = "customer", InputValue = "ACME" }), Is.Empty, "values compare exactly");
    }

    [Test]
    public async Task ListRuns_InputNotAnObjectOrTooLong_StoredButNotSearchable()
    {
        var text = await CreateAsync(input: "not json {");
        var broken = await CreateAsync(input: """{"customer":"acme",""", taskInput: """{"customer":"acme"}""");
        await CreateAsync(input: """["customer","acme"]""");
        var longValue = new string('x', RunSearch.MaxValueChars + 1);
        await CreateAsync(input: $$"""{"note":"{{longValue}}","size":1.5,"big":1234567890123456789}""");

        Assert.That((await Queries.GetRunAsync(Org, text, CancellationToken.None))!.InputJson, Is.EqualTo("not json {"), "text that is not JSON is kept as it was");
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, InputField = "customer", InputValue = "acme" }), Is.EqualTo(new[] { broken }),
            "a broken run input is not searchable, its task's input still is");
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, InputField = "note", InputValue = longValue }), Is.Empty);
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, InputField = "size", InputValue = "1.5" }), Is.Empty, "decimals are not searchable");
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, InputField = "big", InputValue = "1234567890123456789" }), Is.Empty, "integers of more than 18 digits are not");
    }

    [Test]
    public async Task ListRuns_TagAndDataKey_FollowTheRunDataAsItIsWrittenRetaggedAndDeleted()
    {
        var tagged = await CreateAsync();
        var keyed = await CreateAsync();
        await CreateAsync();
        await PutAsync(tagged, "model", "release", "gpu");
        await PutAsync(keyed, "report");

        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, Tag = "release" }), Is.EqualTo(new[] { tagged }));
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, DataKey = "report" }), Is.EqualTo(new[] { keyed }));
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, Tag = "release", DataKey = "model" }), Is.EqualTo(new[] { tagged }), "filters combine with AND");
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, Tag = "release", DataKey = "report" }), Is.Empty);
        Assert.That(await IdsAsync(new RunQuery { OrgId = OtherOrg, Tag = "release" }), Is.Empty);

        var second = await Client.PutRunDataAsync(Org, tagged, new RunDataSpec { Key = "model", ValueJson = "2", Tags = ["release"] });
        var first = (await Queries.QueryRunDataAsync(new RunDataQuery { OrgId = Org, RunId = tagged, Key = "model", IncludeAll = true, Descending = false }, CancellationToken.None)).Items[0];
        await Client.ChangeRunDataTagsAsync(new ChangeRunDataTagsParams(Org, tagged, first.Id, ["stable"], ["release", "gpu"]));
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, Tag = "stable" }), Is.EqualTo(new[] { tagged }), "an added tag is found");
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, Tag = "gpu" }), Is.Empty, "a tag no entry carries any more is not");
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, Tag = "release" }), Is.EqualTo(new[] { tagged }), "another entry still carries it");

        await Client.DeleteRunDataAsync(new DeleteRunDataParams(Org, tagged, null, second!.Id));
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, Tag = "release" }), Is.Empty);
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, DataKey = "model" }), Is.EqualTo(new[] { tagged }), "the first entry keeps the key");
        await Client.DeleteRunDataAsync(new DeleteRunDataParams(Org, tagged, "model", null));
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, DataKey = "model" }), Is.Empty);
    }

    [Test]
    public async Task ListRuns_SearchWithOtherFilters_ScopedByFamilyAndCountedInTotal()
    {
        var first = await CreateAsync(input: """{"env":"prod"}""");
        await CreateAsync(input: """{"env":"prod"}""", family: "jobs");
        var third = await CreateAsync(input: """{"env":"prod"}""");

        var page = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Family = "workflows", InputField = "env", InputValue = "prod", Limit = 1 }, CancellationToken.None);
        var next = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Family = "workflows", InputField = "env", InputValue = "prod", Limit = 1, Offset = 1 }, CancellationToken.None);

        Assert.That(page.Total, Is.EqualTo(2));
        Assert.That(page.Items.Select(r => r.Id), Is.EqualTo(new[] { third }));
        Assert.That(next.Items.Select(r => r.Id), Is.EqualTo(new[] { first }));
    }

    [Test]
    public async Task ListRuns_UndeclaredInputField_RefusedNamingItAndTheDeclaredOnes()
    {
        await CreateAsync(input: """{"region":"eu"}""");

        var refused = Assert.ThrowsAsync<UndeclaredSearchFieldException>(() =>
            Queries.ListRunsAsync(new RunQuery { OrgId = Org, InputField = "region", InputValue = "eu" }, CancellationToken.None));

        Assert.That(refused!.Field, Is.EqualTo("region"));
        Assert.That(refused.Declared, Is.EqualTo(Declared));
        Assert.That(refused.Message, Does.Contain("'region'").And.Contain("attempts, big, customer, dry, env, note, size"));
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, Tag = "any" }), Is.Empty, "tag and data-key searches need no declaration");
    }

    [Test]
    public async Task DeclareSearchFields_FieldDeclaredAfterRunsWereWritten_BackfillMakesThemSearchable()
    {
        var byRun = await CreateAsync(input: """{"region":"eu"}""");
        var byTask = await CreateAsync(taskInput: """{"region":"eu"}""");
        await CreateAsync(input: """{"region":"us"}""");
        await CreateAsync(input: "not json {");

        var change = await DeclareAsync([.. Declared, "region"]);
        var later = await CreateAsync(input: """{"region":"eu"}""");
        var batches = await BackfillAsync();

        Assert.That(change.Added, Is.EqualTo(new[] { "region" }));
        Assert.That(change.Removed, Is.Empty);
        Assert.That(batches.Sum(), Is.LessThanOrEqualTo(6), "each run is read at most once (the in-memory store reads none: it scans at query time)");
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, InputField = "region", InputValue = "eu" }), Is.EqualTo(new[] { later, byTask, byRun }),
            "older runs by their own or their task's input, and a run written after the declaration");
        var again = await SearchIndex.BackfillSearchFieldsAsync(new BackfillSearchFieldsParams(10), CancellationToken.None);
        Assert.That((again.RunsRead, again.Pending.Count), Is.EqualTo((0, 0)), "nothing left to do");
    }

    [Test]
    public async Task DeclareSearchFields_FieldRemoved_RefusedThenFoundAgainOnlyAfterItIsDeclaredAndBackfilled()
    {
        var run = await CreateAsync(input: """{"customer":"acme"}""");

        var removed = await DeclareAsync("env");
        var written = await CreateAsync(input: """{"customer":"acme"}""");

        Assert.That(removed.Removed, Is.EqualTo(new[] { "attempts", "big", "customer", "dry", "note", "size" }));
        Assert.That(removed.Added, Is.Empty);
        Assert.ThrowsAsync<UndeclaredSearchFieldException>(() =>
            Queries.ListRunsAsync(new RunQuery { OrgId = Org, InputField = "customer", InputValue = "acme" }, CancellationToken.None));

        await DeclareAsync("env", "customer");
        await BackfillAsync();
        Assert.That(await IdsAsync(new RunQuery { OrgId = Org, InputField = "customer", InputValue = "acme" }), Is.EqualTo(new[] { written, run }),
            "a run written while the field was not declared is found after the backfill too");
    }

    [Test]
    public void DeclareSearchFields_BadName_RefusedNamingIt()
    {
        var refused = Assert.ThrowsAsync<ArgumentException>(() => DeclareAsync("customer", "a.b"));
        Assert.That(refused!.Message, Does.Contain("'a.b'"));
    }
}
