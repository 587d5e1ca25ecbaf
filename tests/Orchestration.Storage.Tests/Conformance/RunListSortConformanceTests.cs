using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>Runs ordered by start and completion time (Foreman's <c>sortBy=started_at|completed_at</c>).</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RunListSortConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private async Task<Guid> OpenRunAsync(params RunStatus[] statuses)
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, Family = "foreman" })).Run;
        Time.Advance(TimeSpan.FromSeconds(1));
        foreach (var status in statuses)
        {
            Assert.That(await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, RunId = run.Id, Status = status }), Is.EqualTo(RunCommandStatus.Applied));
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        return run.Id;
    }

    private async Task<Guid[]> IdsAsync(RunSortField sort, bool descending) =>
        (await Queries.ListRunsAsync(new RunQuery { OrgId = Org, SortBy = sort, Descending = descending }, CancellationToken.None)).Items.Select(r => r.Id).ToArray();

    [Test]
    public async Task ListRuns_SortByStartedOrCompletedAt_RunsWithoutTheTimeComeLast()
    {
        var never = await OpenRunAsync();
        var early = await OpenRunAsync(RunStatus.Running);
        var finished = await OpenRunAsync(RunStatus.Running, RunStatus.Completed);
        var late = await OpenRunAsync(RunStatus.Running);

        Assert.That(await IdsAsync(RunSortField.StartedAt, descending: false), Is.EqualTo(new[] { early, finished, late, never }));
        Assert.That(await IdsAsync(RunSortField.StartedAt, descending: true), Is.EqualTo(new[] { late, finished, early, never }));
        var byCompletion = await IdsAsync(RunSortField.CompletedAt, descending: true);
        Assert.That(byCompletion[0], Is.EqualTo(finished));
        Assert.That(byCompletion.Skip(1), Is.EquivalentTo(new[] { never, early, late }));
    }
}
