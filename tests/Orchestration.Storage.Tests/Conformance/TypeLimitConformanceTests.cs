using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>A type limit counts running tasks only: however a running task ends, its slot is free again.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class TypeLimitConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static readonly Dictionary<string, int> OneGpu = new() { ["gpu"] = 1 };

    private static TaskSpec Gpu(string name) => new() { Name = name, Type = "gpu" };

    [TestCase("completed")]
    [TestCase("failed for good")]
    [TestCase("failed to retry")]
    [TestCase("run cancelled")]
    public async Task ClaimTasks_TypeLimitedTaskEnds_NextOfThatTypeClaimable(string ending)
    {
        var first = await CreateRunAsync(Gpu("a"));
        await CreateRunAsync(Gpu("b"));
        var running = (await ClaimAsync(typeLimits: OneGpu)).Single();
        Assert.That(await ClaimAsync(typeLimits: OneGpu), Is.Empty, "the limit let a second one run");

        switch (ending)
        {
            case "completed": Assert.That(await CompleteAsync(running), Is.True); break;
            case "failed for good": Assert.That((await FailAsync(running, retryable: false)).Applied, Is.True); break;
            case "failed to retry": Assert.That((await FailAsync(running)).Applied, Is.True); break;
            default: Assert.That(await Store.CancelRunAsync(Org, first.Id, CancellationToken.None), Is.EqualTo(RunCommandStatus.Applied)); break;
        }

        Assert.That((await ClaimAsync(typeLimits: OneGpu)).Select(t => t.Name), Is.EqualTo(new[] { "b" }));
    }
}
