using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>A task is skipped once, however many of its dependencies fail.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class SkipConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task FailTasks_SecondDependencyFailsAfterDependentSkipped_SkippedOnceAndRunWaitsForTheRest()
    {
        var run = await CreateRunAsync(T("b"), T("c"), T("d", "b", "c"), T("e"));
        var claimed = await ClaimAsync();
        TaskRun Named(string name) => claimed.Single(t => t.Name == name);

        await FailAsync(Named("b"), retryable: false);
        await FailAsync(Named("c"), retryable: false);

        var d = await TaskByNameAsync(run.Id, "d");
        Assert.That(d.Status, Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That((await EventsAsync(run.Id)).Count(e => e.TaskId == d.Id && e.Type == EventTypes.TaskSkipped), Is.EqualTo(1));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Running), "finished while e still runs");

        Assert.That(await CompleteAsync(Named("e")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));
    }
}
