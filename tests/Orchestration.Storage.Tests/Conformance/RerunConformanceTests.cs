using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Rerun of a completed run (Formicary's restart of a COMPLETED request): every task runs again from the start, the
/// earlier attempts and events stay as history; only completed runs rerun, and restart keeps its own rule.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RerunConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private async Task<Run> CompletedChainAsync()
    {
        var run = await CreateRunAsync(T("a"), T("b", "a"));
        Assert.That(await CompleteAsync(await ClaimOneAsync("a"), """{"n":1}"""), Is.True);
        Assert.That(await CompleteAsync(await ClaimOneAsync("b")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
        return run;
    }

    [Test]
    public async Task RerunRun_CompletedRun_EveryTaskResetFirstTaskQueuedRunPendingHistoryKept()
    {
        var run = await CompletedChainAsync();
        var firstA = await TaskByNameAsync(run.Id, "a");

        Assert.That(await Client.RerunRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.Applied));

        var a = await TaskByNameAsync(run.Id, "a");
        var b = await TaskByNameAsync(run.Id, "b");
        Assert.That((a.Status, b.Status), Is.EqualTo((TaskRunStatus.Queued, TaskRunStatus.Pending)));
        Assert.That((a.Attempt, a.OutputJson, a.CompletedAt), Is.EqualTo((0, (string?)null, (DateTimeOffset?)null)), "a rerun task starts over");
        var rerun = await RunAsync(run.Id);
        Assert.That((rerun.Status, rerun.CompletedAt), Is.EqualTo((RunStatus.Pending, (DateTimeOffset?)null)));
        Assert.That((await EventsAsync(run.Id)).Select(e => e.Type), Has.Member(EventTypes.RunCompleted).And.Member(EventTypes.RunRestarted), "events stay as history");
        Assert.That(await Queries.GetAttemptsAsync(Org, firstA.Id, CancellationToken.None), Has.Count.EqualTo(1), "the first attempt stays as history");

        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);
        Assert.That(await CompleteAsync(await ClaimOneAsync("b")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(await Queries.GetAttemptsAsync(Org, firstA.Id, CancellationToken.None), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task RerunRun_RoutedRun_RoutesDecideAnewOnTheNewOutcome()
    {
        var run = await CreateRunAsync(
            T("a"),
            new TaskSpec { Name = "next", Type = "work", Routes = [new TaskRoute("a", RouteOn.Completed)] },
            new TaskSpec { Name = "three", Type = "work", Routes = [new TaskRoute("a", RouteOn.ExitCode, [3])] });
        var first = await ClaimOneAsync("a");
        Assert.That((await Store.CompleteTasksAsync([new TaskCompletion(Lease(first), null) { ExitCode = 3 }], CancellationToken.None))[0].Applied, Is.True);
        Assert.That(await CompleteAsync(await ClaimOneAsync("next")), Is.True);
        Assert.That(await CompleteAsync(await ClaimOneAsync("three")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));

        Assert.That(await Client.RerunRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.Applied));
        Assert.That((await TaskByNameAsync(run.Id, "three")).Status, Is.EqualTo(TaskRunStatus.Pending), "routed tasks wait for their source again");
        Assert.That((await TaskByNameAsync(run.Id, "a")).ExitCode, Is.Null);
        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);

        Assert.That((await TaskByNameAsync(run.Id, "next")).Status, Is.EqualTo(TaskRunStatus.Queued));
        Assert.That((await TaskByNameAsync(run.Id, "three")).Status, Is.EqualTo(TaskRunStatus.Skipped), "no exit code this time");
    }

    [Test]
    public async Task RerunRun_ApprovalTask_AwaitsItsReviewAgain()
    {
        var run = await CreateRunAsync(new TaskSpec { Name = "gate", Type = TaskTypes.Approval });
        var reviewed = await Client.ReviewTaskAsync(new ReviewTaskParams { OrgId = Org, RunId = run.Id, TaskName = "gate", Approved = true, Reviewer = "bob" });
        Assert.That(reviewed.Status, Is.EqualTo(ReviewTaskStatus.Applied));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));

        Assert.That(await Client.RerunRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That((await TaskByNameAsync(run.Id, "gate")).Status, Is.EqualTo(TaskRunStatus.AwaitingApproval));
        var again = await Client.ReviewTaskAsync(new ReviewTaskParams { OrgId = Org, RunId = run.Id, TaskName = "gate", Approved = true, Reviewer = "carol" });
        Assert.That(again.Status, Is.EqualTo(ReviewTaskStatus.Applied));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task RerunRun_RunNotCompleted_InvalidStateAndNothingChanged()
    {
        var failed = await CreateRunAsync(T("x"));
        await FailAsync(await ClaimOneAsync("x"), retryable: false);
        var running = await CreateRunAsync(T("a"), T("b", "a"));

        Assert.That(await Client.RerunRunAsync(Org, running.Id), Is.EqualTo(RunCommandStatus.InvalidState));
        Assert.That(await Client.RerunRunAsync(Org, failed.Id), Is.EqualTo(RunCommandStatus.InvalidState));
        Assert.That((await RunAsync(failed.Id)).Status, Is.EqualTo(RunStatus.Failed));
        Assert.That((await TaskByNameAsync(failed.Id, "x")).Status, Is.EqualTo(TaskRunStatus.Failed));
    }

    [Test]
    public async Task RestartRun_CompletedRun_StillInvalidState()
    {
        var run = await CompletedChainAsync();

        Assert.That(await Client.RestartRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.InvalidState), "restart keeps its rule: failed or cancelled runs only");
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task RerunRun_UnknownRunOrAnotherOrgs_NotFound()
    {
        var run = await CompletedChainAsync();

        Assert.That(await Client.RerunRunAsync(Org, Guid.NewGuid()), Is.EqualTo(RunCommandStatus.NotFound));
        Assert.That(await Client.RerunRunAsync(OtherOrg, run.Id), Is.EqualTo(RunCommandStatus.NotFound));
    }
}
