using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>The queue-depth gauge's source: unfinished tasks of every org, by org, run family and status, in one read.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class UnfinishedTaskCountConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task CountUnfinishedTasks_MixedOrgsFamiliesAndStatuses_CountsEachUnfinishedGroupOnly()
    {
        // org-a, embedded: a and c queued, b pending behind a; then one of them claimed (running).
        await CreateRunAsync(T("a"), T("b", "a"), T("c"));
        // org-a, jobs: one queued task of another type, so the claim below cannot take it.
        await Client.CreateRunAsync(new RunSpec { OrgId = Org, Family = "jobs", Tasks = [new TaskSpec { Name = "job", Type = "binary" }] });
        // org-b: one task completed (not counted), one failed with retries left (retrying).
        await CreateRunAsync(OtherOrg, T("done"));
        await CreateRunAsync(OtherOrg, T("flaky"));
        var done = (await ClaimAsync(1, org: OtherOrg)).Single();
        Assert.That(await CompleteAsync(done), Is.True);
        var flaky = (await ClaimAsync(1, org: OtherOrg)).Single();
        Assert.That((await FailAsync(flaky)).Status, Is.EqualTo(TaskRunStatus.Retrying));
        Assert.That(await ClaimAsync(1, org: Org, types: ["work"]), Has.Count.EqualTo(1));

        var counts = await Queries.CountUnfinishedTasksAsync(CancellationToken.None);

        Assert.That(counts.Select(c => (c.OrgId, c.Family, c.Status, c.Count)), Is.EquivalentTo(new[]
        {
            (Org, "embedded", TaskRunStatus.Pending, 1L),
            (Org, "embedded", TaskRunStatus.Queued, 1L),
            (Org, "embedded", TaskRunStatus.Running, 1L),
            (Org, "jobs", TaskRunStatus.Queued, 1L),
            (OtherOrg, "embedded", TaskRunStatus.Retrying, 1L),
        }));
    }

    [Test]
    public async Task CountUnfinishedTasks_TaskAwaitingApproval_NotCounted()
    {
        var run = await CreateRunAsync(new TaskSpec { Name = "review", Type = TaskTypes.Approval });
        Assert.That((await TaskByNameAsync(run.Id, "review")).Status, Is.EqualTo(TaskRunStatus.AwaitingApproval));

        var counts = await Queries.CountUnfinishedTasksAsync(CancellationToken.None);

        Assert.That(counts, Is.Empty, "a task awaiting approval holds no executor and waits for no claim");
    }
}
