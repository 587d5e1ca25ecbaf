using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Tasks a limit holds back do not hide claimable work below them in claim order: a claim that skips held-back rows
/// looks further down the queue instead of answering empty.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class HeldBackClaimConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task ClaimTasks_TopOfQueueHeldBackByItsRunsLimit_ClaimsTheTaskBelowIt()
    {
        await Client.CreateRunAsync(new RunSpec
        {
            OrgId = Org,
            MaxConcurrency = 1,
            Tasks = [T("a1") with { Priority = 5 }, T("a2") with { Priority = 5 }, T("a3") with { Priority = 5 }],
        });
        await CreateRunAsync(T("b"));
        Assert.That((await ClaimAsync(max: 1)).Single().Name, Is.EqualTo("a1"));

        var next = await ClaimAsync(max: 1);

        Assert.That(next.Select(t => t.Name), Is.EqualTo(new[] { "b" }), "a2 and a3 wait for their run's slot; b is claimable");
    }

    [Test]
    public async Task ClaimTasks_TopOfQueueHeldBackByATypeLimit_ClaimsTheTaskBelowIt()
    {
        var oneGpu = new Dictionary<string, int> { ["gpu"] = 1 };
        await CreateRunAsync(new TaskSpec { Name = "g1", Type = "gpu", Priority = 5 });
        await CreateRunAsync(new TaskSpec { Name = "g2", Type = "gpu", Priority = 5 });
        await CreateRunAsync(new TaskSpec { Name = "g3", Type = "gpu", Priority = 5 });
        await CreateRunAsync(T("w"));
        Assert.That((await ClaimAsync(max: 1, typeLimits: oneGpu)).Single().Name, Is.EqualTo("g1"));

        var next = await ClaimAsync(max: 1, typeLimits: oneGpu);

        Assert.That(next.Select(t => t.Name), Is.EqualTo(new[] { "w" }), "the other gpu tasks wait for the type's slot; w is claimable");
    }

    [Test]
    public async Task ClaimTasks_WindowHoldsHeldBackAndClaimableRowsWithMoreBelow_EachTaskClaimedOnce()
    {
        await Client.CreateRunAsync(new RunSpec
        {
            OrgId = Org,
            MaxConcurrency = 1,
            Tasks = [T("a1") with { Priority = 5 }, T("a2") with { Priority = 5 }],
        });
        await CreateRunAsync(T("b") with { Priority = 5 });
        await CreateRunAsync(T("c"));
        Assert.That((await ClaimAsync(max: 1)).Single().Name, Is.EqualTo("a1"));

        var next = await ClaimAsync(max: 2);

        Assert.That(next.Select(t => t.Name), Is.EqualTo(new[] { "b", "c" }), "a2 waits for its run's slot; b and c once each");
    }
}
