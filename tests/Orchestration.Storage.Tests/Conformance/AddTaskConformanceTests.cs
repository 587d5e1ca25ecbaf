using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>A task added to a running run is placed by what its dependencies have already done.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class AddTaskConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task AddTask_NoDependencies_QueuedAtOnceAndClaimable()
    {
        var run = await CreateRunAsync(T("a"));
        await ClaimOneAsync("a");
        Time.Advance(TimeSpan.FromSeconds(5));

        var added = await Client.AddTaskAsync(Org, run.Id, T("b"));

        Assert.That((added.Task!.Status, added.Task.QueuedAt), Is.EqualTo((TaskRunStatus.Queued, (DateTimeOffset?)Time.GetUtcNow())));
        await ClaimOneAsync("b");
    }

    [Test]
    public async Task AddTask_DependencyAlreadyCompleted_QueuedAtOnce()
    {
        var run = await CreateRunAsync(T("a"), T("keep"));
        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);
        Time.Advance(TimeSpan.FromSeconds(5));

        var added = await Client.AddTaskAsync(Org, run.Id, T("after", "a"));

        Assert.That((added.Task!.Status, added.Task.QueuedAt), Is.EqualTo((TaskRunStatus.Queued, (DateTimeOffset?)Time.GetUtcNow())));
        Assert.That((await ClaimAsync()).Select(t => t.Name), Is.EquivalentTo(new[] { "keep", "after" }));
    }

    [Test]
    public async Task AddTask_OneDependencyCompletedOneNot_PendingUntilTheOtherCompletes()
    {
        var run = await CreateRunAsync(T("a"), T("b"));
        var claimed = await ClaimAsync();
        Assert.That(await CompleteAsync(claimed.Single(t => t.Name == "a")), Is.True);

        var added = await Client.AddTaskAsync(Org, run.Id, T("join", "a", "b"));
        Assert.That(added.Task!.Status, Is.EqualTo(TaskRunStatus.Pending));
        Assert.That(await ClaimAsync(), Is.Empty, "queued before its second dependency completed");

        Assert.That(await CompleteAsync(claimed.Single(t => t.Name == "b")), Is.True);
        Assert.That(await CompleteAsync(await ClaimOneAsync("join")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task AddTask_NotEnqueuedWithDependencyCompleted_StaysPending()
    {
        var run = await CreateRunAsync(T("a"), T("keep"));
        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);

        var added = await Client.AddTaskAsync(Org, run.Id, T("held", "a") with { Enqueue = false });

        Assert.That(added.Task!.Status, Is.EqualTo(TaskRunStatus.Pending));
        Assert.That((await ClaimAsync()).Select(t => t.Name), Is.EqualTo(new[] { "keep" }));
        Assert.That((await TaskAsync(added.Task.Id)).Status, Is.EqualTo(TaskRunStatus.Pending));
    }

    [Test]
    public async Task AddTask_DependencyAlreadyFailed_SkippedWithEventAndRunStillFinishes()
    {
        var run = await CreateRunAsync(T("a"), T("keep"));
        await FailAsync(await ClaimOneAsync("a"), retryable: false);
        Time.Advance(TimeSpan.FromSeconds(5));

        var added = await Client.AddTaskAsync(Org, run.Id, T("after", "a"));

        Assert.That((added.Task!.Status, added.Task.CompletedAt), Is.EqualTo((TaskRunStatus.Skipped, (DateTimeOffset?)Time.GetUtcNow())));
        Assert.That((await EventsAsync(run.Id)).Where(e => e.TaskId == added.Task.Id).Select(e => e.Type), Is.EqualTo(new[] { EventTypes.TaskSkipped }));
        Assert.That(await CompleteAsync(await ClaimOneAsync("keep")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed), "the skipped task was still counted as unfinished");
    }
}
