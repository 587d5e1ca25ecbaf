using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RunNameFilterConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private async Task<Guid> CreateAsync(string name, string org = Org)
    {
        var created = await Client.CreateRunAsync(new RunSpec { OrgId = org, Family = "formicary", Name = name, Tasks = [new TaskSpec { Type = "t" }] });
        Time.Advance(TimeSpan.FromSeconds(1));
        return created.Run.Id;
    }

    [Test]
    public async Task ListRuns_NamesFilter_OnlyRunsWithOneOfTheNamesCountedInTotal()
    {
        var ct = CancellationToken.None;
        var build = await CreateAsync("build");
        await CreateAsync("deploy");
        var test = await CreateAsync("test");
        await CreateAsync("build", OtherOrg);

        var page = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Names = ["build", "test", "absent"], Limit = 1, Offset = 0 }, ct);
        var all = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Names = ["build", "test"] }, ct);
        var none = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Names = [] }, ct);

        Assert.That(page.Total, Is.EqualTo(2));
        Assert.That(page.Items.Select(r => r.Id), Is.EqualTo(new[] { test }), "newest first, one per page");
        Assert.That(all.Items.Select(r => r.Id), Is.EqualTo(new[] { test, build }));
        Assert.That(none.Total, Is.Zero, "an empty list of names matches nothing");
        Assert.That(none.Items, Is.Empty);
    }
}
