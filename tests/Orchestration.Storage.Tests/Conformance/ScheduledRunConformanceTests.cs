using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>Runs that start at a given time: nothing of them is claimable before it, everything as usual from it on.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class ScheduledRunConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static readonly TimeSpan Ahead = TimeSpan.FromHours(3);

    private async Task<Run> CreateScheduledAsync(DateTimeOffset at, TimeSpan? timeout = null, params TaskSpec[] tasks)
    {
        var result = await Client.CreateRunAsync(new RunSpec { OrgId = Org, ScheduledAt = at, Timeout = timeout, Tasks = tasks.Length > 0 ? tasks : [T("a")] });
        Assert.That(result.Created, Is.True);
        return result.Run;
    }

    [Test]
    public async Task ClaimTasks_ScheduledRunBeforeItsTime_NothingClaimedAndTheTaskWaitsPending()
    {
        var at = Time.GetUtcNow() + Ahead;
        var run = await CreateScheduledAsync(at);

        Assert.That(await ClaimAsync(), Is.Empty, "claimed at creation");
        Time.Advance(Ahead - TimeSpan.FromMilliseconds(1));
        Assert.That(await ClaimAsync(), Is.Empty, "claimed a millisecond early");

        var task = await TaskByNameAsync(run.Id, "a");
        Assert.That((task.Status, task.NotBefore), Is.EqualTo((TaskRunStatus.Pending, (DateTimeOffset?)at)));
        var stored = await RunAsync(run.Id);
        Assert.That((stored.Status, stored.ScheduledAt), Is.EqualTo((RunStatus.Pending, (DateTimeOffset?)at)));
        Assert.That(run.ScheduledAt, Is.EqualTo(at), "the create's answer carries the scheduled time");
    }

    [Test]
    public async Task ClaimTasks_ScheduledRunAtItsTime_ClaimedAndTheRunStarts()
    {
        var at = Time.GetUtcNow() + Ahead;
        var run = await CreateScheduledAsync(at);
        Assert.That(await ClaimAsync(), Is.Empty);

        Time.Advance(Ahead);
        var claimed = await ClaimAsync();

        Assert.That(claimed.Select(t => t.RunId), Is.EqualTo(new[] { run.Id }));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Running));
    }

    [Test]
    public async Task ClaimTasks_ScheduledRunStartingWithAnApproval_AwaitsApprovalAtItsTimeNeverQueued()
    {
        var at = Time.GetUtcNow() + Ahead;
        var run = await CreateScheduledAsync(at, null, new TaskSpec { Name = "gate", Type = TaskTypes.Approval }, T("deploy") with { DependsOn = ["gate"] });
        Assert.That(await ClaimAsync(), Is.Empty);

        Time.Advance(Ahead);

        Assert.That(await ClaimAsync(), Is.Empty, "an approval task was handed to an executor");
        Assert.That((await TaskByNameAsync(run.Id, "gate")).Status, Is.EqualTo(TaskRunStatus.AwaitingApproval));
        var review = await Client.ReviewTaskAsync(new ReviewTaskParams { OrgId = Org, RunId = run.Id, TaskName = "gate", Approved = true, Reviewer = "alice" });
        Assert.That(review.Status, Is.EqualTo(ReviewTaskStatus.Applied));
        Assert.That((await ClaimAsync()).Select(t => t.Name), Is.EqualTo(new[] { "deploy" }));
    }

    [Test]
    public async Task ClaimTasks_ScheduledTimeAlreadyPast_ClaimableAtOnce()
    {
        var run = await CreateScheduledAsync(Time.GetUtcNow() - TimeSpan.FromMinutes(5));

        Assert.That((await ClaimAsync()).Select(t => t.RunId), Is.EqualTo(new[] { run.Id }));
    }

    [Test]
    public async Task ClaimTasks_ScheduledRunAfterTheStoreIsReopened_WaitsForItsTimeThenClaimable()
    {
        var at = Time.GetUtcNow() + Ahead;
        var run = await CreateScheduledAsync(at);

        await ReopenStoreAsync();
        Assert.That(await ClaimAsync(), Is.Empty, "claimed before its time after a restart");
        Assert.That((await RunAsync(run.Id)).ScheduledAt, Is.EqualTo(at), "the scheduled time was not kept");
        Time.Advance(Ahead);

        Assert.That((await ClaimAsync()).Select(t => t.RunId), Is.EqualTo(new[] { run.Id }));
    }

    [Test]
    public async Task CancelRun_ScheduledRunBeforeItsTime_CancelledAndNeverClaimed()
    {
        var run = await CreateScheduledAsync(Time.GetUtcNow() + Ahead);

        Assert.That(await Store.CancelRunAsync(Org, run.Id, CancellationToken.None), Is.EqualTo(RunCommandStatus.Applied));
        Time.Advance(Ahead * 2);

        Assert.That(await ClaimAsync(), Is.Empty);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Cancelled));
        Assert.That((await TaskByNameAsync(run.Id, "a")).Status, Is.EqualTo(TaskRunStatus.Cancelled));
    }

    [Test]
    public async Task ClaimTasks_ScheduledGraph_OnlyRootsQueuedAtTheTimeDependentsFollowTheirDependencies()
    {
        var run = await CreateScheduledAsync(Time.GetUtcNow() + Ahead, null, T("a"), T("b", "a"));
        Time.Advance(Ahead);

        var a = await ClaimOneAsync("a");
        Assert.That(await ClaimAsync(), Is.Empty, "a dependent was queued before its dependency completed");
        Assert.That(await CompleteAsync(a), Is.True);

        await ClaimOneAsync("b");
        Assert.That((await TaskByNameAsync(run.Id, "b")).NotBefore, Is.Null);
    }

    [Test]
    public async Task CreateRun_ScheduledRunReachesItsTime_IdleWorkersSignalled()
    {
        await CreateScheduledAsync(Time.GetUtcNow() + Ahead);
        var version = Store.WorkAvailable.Version;

        Time.Advance(Ahead);

        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version), "no wake-up at the scheduled time");
    }

    [Test]
    public async Task CreateRun_ScheduledWithTimeout_DeadlineCountedFromTheScheduledTime()
    {
        var at = Time.GetUtcNow() + Ahead;
        var run = await CreateScheduledAsync(at, TimeSpan.FromMinutes(10));

        Assert.That((await RunAsync(run.Id)).DeadlineAt, Is.EqualTo(at + TimeSpan.FromMinutes(10)));
    }

    [Test]
    public async Task CreateRun_UnscheduledRunBesideAScheduledOne_ClaimedAtOnceAlone()
    {
        await CreateScheduledAsync(Time.GetUtcNow() + Ahead);
        var now = await CreateRunAsync(T("now"));

        Assert.That((await ClaimAsync()).Select(t => t.RunId), Is.EqualTo(new[] { now.Id }));
    }

    [Test]
    public void CreateRun_OpenRunWithScheduledTime_RefusedNamingTheField()
    {
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() =>
            Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, ScheduledAt = Time.GetUtcNow() + Ahead }));
        Assert.That(ex!.Message, Does.Contain("scheduled_at"));
    }
}
