using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

// A claim naming several types takes them in one claim order (priority, then age) across the types, as if they were one
// queue; SQLite reads each type's queue on its own and merges them.
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class ClaimByTypeConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static TaskSpec Typed(string name, string type, int priority) => new() { Name = name, Type = type, Priority = priority };

    [Test]
    public async Task ClaimTasks_SeveralTypes_ClaimOrderAcrossTypesAndOtherTypesLeft()
    {
        await CreateRunAsync(Typed("x", "a", 0), Typed("y", "b", 5), Typed("z", "a", 5), Typed("w", "c", 9), Typed("v", "b", 1));

        var first = await ClaimAsync(2, types: ["b", "a"]);
        var rest = await ClaimAsync(10, types: ["a", "b"]);

        Assert.That(first.Select(t => t.Name), Is.EqualTo(new[] { "y", "z" }));
        Assert.That(rest.Select(t => t.Name), Is.EqualTo(new[] { "v", "x" }));
        Assert.That(await ClaimAsync(10, types: ["a", "b"]), Is.Empty, "the task of another type is never claimed");
    }

    [Test]
    public async Task ClaimTasks_NoTypeNamed_ClaimOrderAcrossEveryType()
    {
        await CreateRunAsync(Typed("x", "a", 0), Typed("y", "b", 5), Typed("z", "c", 5), Typed("w", "a", 9));

        var first = await ClaimAsync(3);
        var rest = await ClaimAsync(10);

        Assert.That(first.Select(t => t.Name), Is.EqualTo(new[] { "w", "y", "z" }));
        Assert.That(rest.Select(t => t.Name), Is.EqualTo(new[] { "x" }));
    }

    [Test]
    public async Task ClaimTasks_TypeNamedTwice_EachTaskClaimedOnce()
    {
        await CreateRunAsync(Typed("x", "a", 0), Typed("y", "a", 0));

        var claimed = await ClaimAsync(10, types: ["a", "a"]);

        Assert.That(claimed.Select(t => t.Name), Is.EqualTo(new[] { "x", "y" }));
    }

    [Test]
    public async Task ClaimTasks_RetryDueAndQueuedOfSeveralTypes_MergedInClaimOrder()
    {
        await CreateRunAsync(Typed("x", "a", 3), Typed("y", "b", 0));
        var x = await ClaimOneAsync("x");
        Assert.That((await FailAsync(x)).Status, Is.EqualTo(Orchestration.Domain.TaskRunStatus.Retrying));
        Time.Advance(TimeSpan.FromMinutes(1));

        var claimed = await ClaimAsync(10, types: ["b", "a"]);

        Assert.That(claimed.Select(t => t.Name), Is.EqualTo(new[] { "x", "y" }), "the due retry of higher priority comes first");
    }
}
