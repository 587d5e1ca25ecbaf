using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Routing by outcome: a routed task waits until every route's source task has ended, then runs when a route matched
/// and is skipped otherwise; allowed failures count as completions; only failures that were not allowed fail the run.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RoutingConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static TaskSpec R(string name, params TaskRoute[] routes) => new() { Name = name, Type = "work", Routes = routes };

    private static TaskRoute On(string from, RouteOn on, params int[] codes) => new(from, on, codes.Length == 0 ? null : codes);

    private async Task<TaskWriteResult> FailWithAsync(TaskRun task, int? exitCode, bool retryable = false) =>
        (await Store.FailTasksAsync([new TaskFailure(Lease(task), JsonDefaults.ErrorJson("boom"), retryable) { ExitCode = exitCode }], CancellationToken.None))[0];

    private async Task<bool> CompleteWithAsync(TaskRun task, int? exitCode) =>
        (await Store.CompleteTasksAsync([new TaskCompletion(Lease(task), null) { ExitCode = exitCode }], CancellationToken.None))[0].Applied;

    private async Task<TaskRunStatus> StatusAsync(Guid runId, string name) => (await TaskByNameAsync(runId, name)).Status;

    [Test]
    public async Task CreateRun_RoutedTask_WaitsPendingUntilItsSourceEnds()
    {
        var run = await CreateRunAsync(T("a"), R("b", On("a", RouteOn.Completed)));

        Assert.That(await StatusAsync(run.Id, "b"), Is.EqualTo(TaskRunStatus.Pending));
        var claimed = await ClaimAsync();
        Assert.That(claimed.Select(t => t.Name), Is.EqualTo(new[] { "a" }), "a routed task is not claimable before its source ends");
        Assert.That((await TaskByNameAsync(run.Id, "b")).Routes, Is.EqualTo(new[] { On("a", RouteOn.Completed) }).Using<TaskRoute>(SameRoute));
    }

    [Test]
    public async Task CompleteTasks_SourceCompleted_CompletedRouteQueuedAndFailedRouteSkippedRunCompletes()
    {
        var run = await CreateRunAsync(T("a"), R("next", On("a", RouteOn.Completed)), R("cleanup", On("a", RouteOn.Failed)));

        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);

        Assert.That(await StatusAsync(run.Id, "next"), Is.EqualTo(TaskRunStatus.Queued));
        var cleanup = await TaskByNameAsync(run.Id, "cleanup");
        Assert.That(cleanup.Status, Is.EqualTo(TaskRunStatus.Skipped));
        var skipped = (await EventsAsync(run.Id)).Single(e => e.TaskId == cleanup.Id && e.Type == EventTypes.TaskSkipped);
        Assert.That(skipped.DataJson, Does.Contain("no route matched"));

        Assert.That(await CompleteAsync(await ClaimOneAsync("next")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed), "a branch not taken does not fail the run");
    }

    [Test]
    public async Task FailTasks_SourceFailed_FailedRouteRunsAndRunStillFails()
    {
        var run = await CreateRunAsync(T("a"), R("next", On("a", RouteOn.Completed)), R("cleanup", On("a", RouteOn.Failed)));

        await FailAsync(await ClaimOneAsync("a"), retryable: false);

        Assert.That(await StatusAsync(run.Id, "next"), Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That(await StatusAsync(run.Id, "cleanup"), Is.EqualTo(TaskRunStatus.Queued));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Running), "the failure branch is still to run");

        Assert.That(await CompleteAsync(await ClaimOneAsync("cleanup")), Is.True);
        var finished = await RunAsync(run.Id);
        Assert.That(finished.Status, Is.EqualTo(RunStatus.Failed), "a handled failure still fails the run");
        Assert.That(JsonDefaults.ErrorMessage(finished.ErrorJson), Is.EqualTo("task 'a' failed"));
    }

    [Test]
    public async Task FailTasks_RetryableFailureWithAttemptsLeft_RoutesWaitForTheLastAttempt()
    {
        var run = await CreateRunAsync(T("a"), R("cleanup", On("a", RouteOn.Failed)));

        var result = await FailAsync(await ClaimOneAsync("a"));

        Assert.That(result.Status, Is.EqualTo(TaskRunStatus.Retrying));
        Assert.That(await StatusAsync(run.Id, "cleanup"), Is.EqualTo(TaskRunStatus.Pending));
    }

    [Test]
    public async Task CompleteTasks_ExitCode_StoredAndMatchingExitCodeRouteQueued()
    {
        var run = await CreateRunAsync(T("a"), R("three", On("a", RouteOn.ExitCode, 3)), R("low", On("a", RouteOn.ExitCode, 1, 2)));

        Assert.That(await CompleteWithAsync(await ClaimOneAsync("a"), 3), Is.True);

        Assert.That((await TaskByNameAsync(run.Id, "a")).ExitCode, Is.EqualTo(3));
        Assert.That(await StatusAsync(run.Id, "three"), Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await StatusAsync(run.Id, "low"), Is.EqualTo(TaskRunStatus.Skipped));
    }

    [Test]
    public async Task FailTasks_ExitCode_StoredAndFailureWithListedCodeTakesExitCodeRoute()
    {
        var run = await CreateRunAsync(T("a"), R("two", On("a", RouteOn.ExitCode, 2)), R("other", On("a", RouteOn.ExitCode, 0)));

        await FailWithAsync(await ClaimOneAsync("a"), 2);

        Assert.That((await TaskByNameAsync(run.Id, "a")).ExitCode, Is.EqualTo(2));
        Assert.That(await StatusAsync(run.Id, "two"), Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await StatusAsync(run.Id, "other"), Is.EqualTo(TaskRunStatus.Skipped));
    }

    [Test]
    public async Task CompleteTasks_NoExitCodeReported_ExitCodeRouteSkipped()
    {
        var run = await CreateRunAsync(T("a"), R("zero", On("a", RouteOn.ExitCode, 0)));

        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);

        Assert.That((await TaskByNameAsync(run.Id, "a")).ExitCode, Is.Null);
        Assert.That(await StatusAsync(run.Id, "zero"), Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task FailTasks_FinishedRoutesFromEveryBranch_AlwaysRunTaskRunsOnceAfterAllEnded()
    {
        var run = await CreateRunAsync(
            T("a"),
            R("b", On("a", RouteOn.Completed)),
            R("always", On("a", RouteOn.Finished), On("b", RouteOn.Finished)));

        await FailAsync(await ClaimOneAsync("a"), retryable: false);

        Assert.That(await StatusAsync(run.Id, "b"), Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That(await StatusAsync(run.Id, "always"), Is.EqualTo(TaskRunStatus.Queued), "a skipped source counts as finished");
        Assert.That(await CompleteAsync(await ClaimOneAsync("always")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));
    }

    [Test]
    public async Task CompleteTasks_FinishedRouteWhileOtherSourceRuns_WaitsForEverySource()
    {
        var run = await CreateRunAsync(T("a"), T("b"), R("always", On("a", RouteOn.Finished), On("b", RouteOn.Finished)));
        var claimed = await ClaimAsync();

        Assert.That(await CompleteAsync(claimed.Single(t => t.Name == "a")), Is.True);
        Assert.That(await StatusAsync(run.Id, "always"), Is.EqualTo(TaskRunStatus.Pending), "b is still running");

        await FailAsync(claimed.Single(t => t.Name == "b"), retryable: false);
        Assert.That(await StatusAsync(run.Id, "always"), Is.EqualTo(TaskRunStatus.Queued));
    }

    [Test]
    public async Task CompleteTasks_BranchNotTaken_SkipPropagatesToRoutesAndDependencies()
    {
        var run = await CreateRunAsync(
            T("a"),
            R("cleanup", On("a", RouteOn.Failed)),
            R("after-cleanup", On("cleanup", RouteOn.Completed)),
            T("needs-cleanup", "cleanup"),
            R("report", On("cleanup", RouteOn.Finished)));

        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);

        Assert.That(await StatusAsync(run.Id, "cleanup"), Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That(await StatusAsync(run.Id, "after-cleanup"), Is.EqualTo(TaskRunStatus.Skipped), "a skipped source matches only Finished");
        Assert.That(await StatusAsync(run.Id, "needs-cleanup"), Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That(await StatusAsync(run.Id, "report"), Is.EqualTo(TaskRunStatus.Queued));

        Assert.That(await CompleteAsync(await ClaimOneAsync("report")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed), "tasks skipped by routing do not fail the run");
    }

    [Test]
    public async Task CompleteTasks_JoinReachedFromTwoBranchesOnlyOneRuns_JoinQueuedOnce()
    {
        var run = await CreateRunAsync(
            T("a"),
            R("ok", On("a", RouteOn.Completed)),
            R("recover", On("a", RouteOn.Failed)),
            R("join", On("ok", RouteOn.Completed), On("recover", RouteOn.Completed)));

        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);
        Assert.That(await StatusAsync(run.Id, "join"), Is.EqualTo(TaskRunStatus.Pending), "ok has not ended yet");

        Assert.That(await CompleteAsync(await ClaimOneAsync("ok")), Is.True);
        var join = await TaskByNameAsync(run.Id, "join");
        Assert.That(join.Status, Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await CompleteAsync(await ClaimOneAsync("join")), Is.True);
        Assert.That(await ClaimAsync(), Is.Empty);
        var events = await EventsAsync(run.Id);
        Assert.That(events.Count(e => e.TaskId == join.Id && e.Type == EventTypes.TaskStarted), Is.EqualTo(1));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task FailTasks_AllowFailure_DependentsAndCompletedRoutesRunAndRunCompletes()
    {
        var run = await CreateRunAsync(
            new TaskSpec { Name = "lint", Type = "work", AllowFailure = true },
            T("build", "lint"),
            R("on-ok", On("lint", RouteOn.Completed)),
            R("on-fail", On("lint", RouteOn.Failed)));

        var result = await FailAsync(await ClaimOneAsync("lint"), retryable: false);

        Assert.That(result.Status, Is.EqualTo(TaskRunStatus.Failed), "the task itself still shows its failure");
        Assert.That(await StatusAsync(run.Id, "build"), Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await StatusAsync(run.Id, "on-ok"), Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await StatusAsync(run.Id, "on-fail"), Is.EqualTo(TaskRunStatus.Skipped), "an allowed failure follows the completed path");
        foreach (var t in await ClaimAsync()) Assert.That(await CompleteAsync(t), Is.True);
        var finished = await RunAsync(run.Id);
        Assert.That(finished.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(finished.FailedTasks, Is.EqualTo(1));
    }

    [Test]
    public async Task FailTasks_AllowFailureOnLastTask_RunCompletes()
    {
        var run = await CreateRunAsync(new TaskSpec { Name = "only", Type = "work", AllowFailure = true });

        await FailAsync(await ClaimOneAsync("only"), retryable: false);

        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task FailTasks_FailureNotAllowedBesideAllowedOne_RunFailsNamingIt()
    {
        var run = await CreateRunAsync(new TaskSpec { Name = "allowed", Type = "work", AllowFailure = true }, T("strict"));
        var claimed = await ClaimAsync();

        await FailAsync(claimed.Single(t => t.Name == "allowed"), retryable: false);
        await FailAsync(claimed.Single(t => t.Name == "strict"), retryable: false);

        var finished = await RunAsync(run.Id);
        Assert.That(finished.Status, Is.EqualTo(RunStatus.Failed));
        Assert.That(JsonDefaults.ErrorMessage(finished.ErrorJson), Is.EqualTo("task 'strict' failed"));
    }

    [Test]
    public async Task RestartRun_AfterFailureBranchRan_SourceRunsAgainAndRoutesDecideAnew()
    {
        var run = await CreateRunAsync(T("a"), R("next", On("a", RouteOn.Completed)), R("cleanup", On("a", RouteOn.Failed)));
        await FailWithAsync(await ClaimOneAsync("a"), 1);
        Assert.That(await CompleteAsync(await ClaimOneAsync("cleanup")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));

        Assert.That(await Client.RestartRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.Applied));

        var a = await TaskByNameAsync(run.Id, "a");
        Assert.That(a.Status, Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(a.ExitCode, Is.Null, "a restart clears the exit code with the output");
        Assert.That(await StatusAsync(run.Id, "next"), Is.EqualTo(TaskRunStatus.Pending));
        Assert.That(await StatusAsync(run.Id, "cleanup"), Is.EqualTo(TaskRunStatus.Completed), "completed tasks are kept");

        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);
        Assert.That(await CompleteAsync(await ClaimOneAsync("next")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task RestartRun_RoutedTaskFailedAfterSourceCompleted_RoutedTaskQueuedAtOnce()
    {
        var run = await CreateRunAsync(T("a"), R("next", On("a", RouteOn.Completed)));
        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);
        await FailAsync(await ClaimOneAsync("next"), retryable: false);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));

        Assert.That(await Client.RestartRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That(await StatusAsync(run.Id, "next"), Is.EqualTo(TaskRunStatus.Queued));
    }

    private static bool SameRoute(TaskRoute x, TaskRoute y) =>
        x.From == y.From && x.On == y.On && (x.ExitCodes ?? []).SequenceEqual(y.ExitCodes ?? []);
}
