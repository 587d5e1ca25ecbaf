using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RunDataConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private Run _run = null!;

    [SetUp]
    public async Task CreateRun() => _run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true })).Run;

    private Task<RunDataEntry?> PutAsync(string key, string value, params string[] tags) =>
        Client.PutRunDataAsync(Org, _run.Id, new RunDataSpec { Key = key, ValueJson = value, Tags = tags });

    private Task<Page<RunDataEntry>> QueryAsync(RunDataQuery query) => Queries.QueryRunDataAsync(query, CancellationToken.None);

    [Test]
    public async Task PutRunData_SeveralEntriesPerKey_LatestWinsAndAllKept()
    {
        await PutAsync("progress", "1");
        await PutAsync("progress", "2");
        await PutAsync("progress", "3");

        var latest = await Queries.GetLatestRunDataAsync(Org, _run.Id, "progress", CancellationToken.None);
        var all = await QueryAsync(new RunDataQuery { OrgId = Org, RunId = _run.Id, Key = "progress", IncludeAll = true, Descending = false });
        var latestOnly = await QueryAsync(new RunDataQuery { OrgId = Org, RunId = _run.Id, Key = "progress" });

        Assert.That(latest!.ValueJson, Is.EqualTo("3"));
        Assert.That(all.Items.Select(e => e.ValueJson), Is.EqualTo(new[] { "1", "2", "3" }));
        Assert.That(all.Total, Is.EqualTo(3));
        Assert.That(latestOnly.Items.Select(e => e.ValueJson), Is.EqualTo(new[] { "3" }));
        Assert.That(latestOnly.Total, Is.EqualTo(1));
    }

    [Test]
    public async Task QueryRunData_KeyPrefixesAndTags_FilterAsAskedFor()
    {
        await PutAsync("model.loss", "0.5", "metrics", "train");
        await PutAsync("model.acc", "0.9", "metrics");
        await PutAsync("data.rows", "100", "train");
        await PutAsync("other", "1");

        var prefixed = await QueryAsync(new RunDataQuery { OrgId = Org, RunId = _run.Id, KeyPrefixes = ["model.", "data."], SortBy = RunDataSortField.Key, Descending = false });
        var any = await QueryAsync(new RunDataQuery { OrgId = Org, RunId = _run.Id, Tags = ["metrics", "train"], TagMatch = TagMatch.Any, SortBy = RunDataSortField.Key, Descending = false });
        var all = await QueryAsync(new RunDataQuery { OrgId = Org, RunId = _run.Id, Tags = ["metrics", "train"], TagMatch = TagMatch.All });

        Assert.That(prefixed.Items.Select(e => e.Key), Is.EqualTo(new[] { "data.rows", "model.acc", "model.loss" }));
        Assert.That(any.Items.Select(e => e.Key), Is.EqualTo(new[] { "data.rows", "model.acc", "model.loss" }));
        Assert.That(all.Items.Select(e => e.Key), Is.EqualTo(new[] { "model.loss" }));
    }

    [Test]
    public async Task QueryRunData_Paging_TotalIgnoresLimit()
    {
        for (var i = 0; i < 7; i++) await PutAsync($"k{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var page = await QueryAsync(new RunDataQuery { OrgId = Org, RunId = _run.Id, Limit = 3, Offset = 3, Descending = false });

        Assert.That(page.Total, Is.EqualTo(7));
        Assert.That(page.Items.Select(e => e.Key), Is.EqualTo(new[] { "k3", "k4", "k5" }));
    }

    [Test]
    public async Task DeleteRunData_ByKeyAndById_DeletesOnlyThose()
    {
        await PutAsync("a", "1");
        await PutAsync("a", "2");
        var keep = await PutAsync("b", "3");
        var drop = await PutAsync("c", "4");

        var byKey = await Client.DeleteRunDataAsync(new DeleteRunDataParams(Org, _run.Id, "a", null));
        var byId = await Client.DeleteRunDataAsync(new DeleteRunDataParams(Org, _run.Id, null, drop!.Id));
        var foreign = await Client.DeleteRunDataAsync(new DeleteRunDataParams(OtherOrg, _run.Id, "b", null));

        Assert.That(byKey, Is.EqualTo(2));
        Assert.That(byId, Is.EqualTo(1));
        Assert.That(foreign, Is.Zero);
        var rest = await QueryAsync(new RunDataQuery { OrgId = Org, RunId = _run.Id, IncludeAll = true });
        Assert.That(rest.Items.Select(e => e.Id), Is.EqualTo(new[] { keep!.Id }));
    }

    [Test]
    public async Task ChangeRunDataTags_AddAndRemove_Applied()
    {
        var entry = await PutAsync("a", "1", "x", "y");

        var changed = await Client.ChangeRunDataTagsAsync(new ChangeRunDataTagsParams(Org, _run.Id, entry!.Id, ["z", "x"], ["y"]));
        var missing = await Client.ChangeRunDataTagsAsync(new ChangeRunDataTagsParams(Org, _run.Id, Guid.NewGuid(), ["z"], []));
        var foreign = await Client.ChangeRunDataTagsAsync(new ChangeRunDataTagsParams(OtherOrg, _run.Id, entry.Id, ["z"], []));

        Assert.That(changed!.Tags.Order(), Is.EqualTo(new[] { "x", "z" }));
        Assert.That(missing, Is.Null);
        Assert.That(foreign, Is.Null);
        var byTag = await QueryAsync(new RunDataQuery { OrgId = Org, RunId = _run.Id, Tags = ["z"] });
        Assert.That(byTag.Items, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task PutRunData_UnknownOrForeignRun_Null()
    {
        var unknown = await Client.PutRunDataAsync(Org, Guid.NewGuid(), new RunDataSpec { Key = "a" });
        var foreign = await Client.PutRunDataAsync(OtherOrg, _run.Id, new RunDataSpec { Key = "a" });

        Assert.That(unknown, Is.Null);
        Assert.That(foreign, Is.Null);
    }

    [Test]
    public async Task PutRunData_StoredFields_RoundTrip()
    {
        var task = (await Client.AddTaskAsync(Org, _run.Id, new TaskSpec { Name = "t", Type = "x", Enqueue = false })).Task!;

        var entry = await Client.PutRunDataAsync(Org, _run.Id, new RunDataSpec { Key = "k", ValueJson = """{"a":[1,2]}""", TaskId = task.Id, Tags = ["t1"], MetadataJson = """{"m":true}""" });
        var read = await Queries.GetLatestRunDataAsync(Org, _run.Id, "k", CancellationToken.None);

        Assert.That(read, Is.Not.Null);
        Assert.That(read!.Id, Is.EqualTo(entry!.Id));
        Assert.That(read.TaskId, Is.EqualTo(task.Id));
        Assert.That(read.Tags, Is.EqualTo(new[] { "t1" }));
        Assert.That(read.ValueJson!.Replace(" ", "", StringComparison.Ordinal), Is.EqualTo("""{"a":[1,2]}"""));
        Assert.That(read.MetadataJson, Does.Contain("true"));
        Assert.That(read.CreatedAt, Is.EqualTo(Time.GetUtcNow()));
    }
}
