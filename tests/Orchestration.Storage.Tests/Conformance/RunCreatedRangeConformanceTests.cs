using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RunCreatedRangeConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private async Task<(Guid Id, DateTimeOffset CreatedAt)> CreateAsync(string org = Org)
    {
        var created = await Client.CreateRunAsync(new RunSpec { OrgId = org, Family = "workflows", Name = "etl", Tasks = [new TaskSpec { Type = "t" }] });
        Time.Advance(TimeSpan.FromMinutes(1));
        return (created.Run.Id, created.Run.CreatedAt);
    }

    [Test]
    public async Task ListRuns_CreatedRange_FromInclusiveBeforeExclusiveCountedInTotal()
    {
        var ct = CancellationToken.None;
        await CreateAsync();
        var second = await CreateAsync();
        var third = await CreateAsync();
        var fourth = await CreateAsync();
        await CreateAsync(OtherOrg);

        var range = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, CreatedFrom = second.CreatedAt, CreatedBefore = fourth.CreatedAt }, ct);
        var since = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, CreatedFrom = third.CreatedAt, Limit = 1 }, ct);

        Assert.That(range.Items.Select(r => r.Id), Is.EqualTo(new[] { third.Id, second.Id }), "from is inclusive, before is exclusive, newest first");
        Assert.That(range.Total, Is.EqualTo(2));
        Assert.That(since.Total, Is.EqualTo(2), "the total counts every run in range, not the page");
        Assert.That(since.Items.Select(r => r.Id), Is.EqualTo(new[] { fourth.Id }));
    }
}
