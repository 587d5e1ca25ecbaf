using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Retry of one failed task: it runs again with a fresh attempt budget, the tasks its failure skipped downstream run after
/// it, a failed run runs again, and nothing of the old attempt can still write.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class TaskRetryConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private Task<RunCommandStatus> RetryAsync(Guid runId, Guid taskId, string org = Org, string? family = null) =>
        Client.RetryTaskAsync(new RetryTaskParams { OrgId = org, Family = family, RunId = runId, TaskId = taskId });

    private async Task<TaskRunStatus> StatusAsync(Guid runId, string name) => (await TaskByNameAsync(runId, name)).Status;

    [Test]
    public async Task RetryTask_FailedTaskOfFailedRun_QueuedWithFreshAttemptsAndRunRunsAgain()
    {
        var run = await CreateRunAsync(T("a"), T("b", "a"), T("c", "b"));
        await CompleteAsync(await ClaimOneAsync("a"));
        await FailAsync(await ClaimOneAsync("b"), retryable: false);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));
        var b = await TaskByNameAsync(run.Id, "b");

        Assert.That(await RetryAsync(run.Id, b.Id), Is.EqualTo(RunCommandStatus.Applied));

        var retried = await TaskAsync(b.Id);
        Assert.That(retried.Status, Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(retried.Attempt, Is.Zero, "a fresh attempt budget");
        Assert.That(retried.ErrorJson, Is.Null);
        Assert.That(retried.CompletedAt, Is.Null);
        Assert.That(await StatusAsync(run.Id, "a"), Is.EqualTo(TaskRunStatus.Completed), "a completed task is kept");
        Assert.That(await StatusAsync(run.Id, "c"), Is.EqualTo(TaskRunStatus.Pending), "its skipped dependant waits for it again");
        var reopened = await RunAsync(run.Id);
        Assert.That(reopened.Status, Is.EqualTo(RunStatus.Running));
        Assert.That(reopened.ErrorJson, Is.Null);
        Assert.That(reopened.CompletedAt, Is.Null);

        var again = await ClaimOneAsync("b");
        Assert.That(again.Attempt, Is.EqualTo(1), "attempts are numbered from 1 again");
        await CompleteAsync(again);
        await CompleteAsync(await ClaimOneAsync("c"));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
        var attempts = await Queries.GetAttemptsAsync(Org, b.Id, CancellationToken.None);
        Assert.That(attempts, Has.Count.EqualTo(2), "the failed attempt stays as history");
    }

    [Test]
    public async Task RetryTask_SkippedTasks_OnlyThoseDownstreamOfItAndNotBlockedElsewhereAreReset()
    {
        // b depends on a alone; y on another failure x; z on both a and x, so x's failure still holds it back.
        var run = await CreateRunAsync(T("a"), T("x"), T("b", "a"), T("y", "x"), T("z", "a", "x"));
        await FailAsync(await ClaimOneAsync("a"), retryable: false);
        await FailAsync(await ClaimOneAsync("x"), retryable: false);
        var a = await TaskByNameAsync(run.Id, "a");

        Assert.That(await RetryAsync(run.Id, a.Id), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That(await StatusAsync(run.Id, "b"), Is.EqualTo(TaskRunStatus.Pending));
        Assert.That(await StatusAsync(run.Id, "y"), Is.EqualTo(TaskRunStatus.Skipped), "an unrelated branch is left alone");
        Assert.That(await StatusAsync(run.Id, "z"), Is.EqualTo(TaskRunStatus.Skipped), "another failure still blocks it");
        Assert.That(await StatusAsync(run.Id, "x"), Is.EqualTo(TaskRunStatus.Failed));
        await CompleteAsync(await ClaimOneAsync("a"));
        await CompleteAsync(await ClaimOneAsync("b"));
        Assert.That(await ClaimAsync(), Is.Empty);
        var finished = await RunAsync(run.Id);
        Assert.That(finished.Status, Is.EqualTo(RunStatus.Failed), "x still failed");
        Assert.That(JsonDefaults.ErrorMessage(finished.ErrorJson), Is.EqualTo("task 'x' failed"));
    }

    [Test]
    public async Task RetryTask_OtherBranchStillRunning_RunStaysRunningAndCompletes()
    {
        var run = await CreateRunAsync(T("a"), T("b"));
        var claimed = await ClaimAsync(2);
        var a = claimed.Single(t => t.Name == "a");
        var b = claimed.Single(t => t.Name == "b");
        await FailAsync(a, retryable: false);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Running));

        Assert.That(await RetryAsync(run.Id, a.Id), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Running));
        await CompleteAsync(b);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Running), "the retried task is unfinished");
        await CompleteAsync(await ClaimOneAsync("a"));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task RetryTask_TaskNotFailed_InvalidStateAndNothingChanges()
    {
        var run = await CreateRunAsync(T("done"), T("running"), T("retrying"), T("queued", "done"), T("pending", "running"));
        var claimed = await ClaimAsync(3);
        await CompleteAsync(claimed.Single(t => t.Name == "done"));
        await FailAsync(claimed.Single(t => t.Name == "retrying"), retryable: true);
        var before = await Queries.GetRunTasksAsync(Org, run.Id, CancellationToken.None);
        var eventsBefore = (await EventsAsync(run.Id)).Count;

        foreach (var name in new[] { "done", "running", "retrying", "queued", "pending" })
        {
            var task = before.Single(t => t.Name == name);
            Assert.That(await RetryAsync(run.Id, task.Id), Is.EqualTo(RunCommandStatus.InvalidState), name);
        }

        var after = await Queries.GetRunTasksAsync(Org, run.Id, CancellationToken.None);
        Assert.That(after.Select(t => (t.Name, t.Status, t.Attempt)), Is.EqualTo(before.Select(t => (t.Name, t.Status, t.Attempt))));
        Assert.That((await EventsAsync(run.Id)).Count, Is.EqualTo(eventsBefore), "a refused retry writes no event");
    }

    [Test]
    public async Task RetryTask_CancelledOrCompletedRun_InvalidState()
    {
        var cancelled = await CreateRunAsync(T("a"), T("b"));
        var failed = (await ClaimAsync(1))[0];
        await FailAsync(failed, retryable: false);
        Assert.That(await Client.CancelRunAsync(Org, cancelled.Id), Is.EqualTo(RunCommandStatus.Applied));
        var completed = await CreateRunAsync(new TaskSpec { Name = "lint", Type = "work", AllowFailure = true });
        var lint = await ClaimOneAsync("lint");
        await FailAsync(lint, retryable: false);
        Assert.That((await RunAsync(completed.Id)).Status, Is.EqualTo(RunStatus.Completed));

        Assert.That(await RetryAsync(cancelled.Id, failed.Id), Is.EqualTo(RunCommandStatus.InvalidState));
        Assert.That(await RetryAsync(completed.Id, lint.Id), Is.EqualTo(RunCommandStatus.InvalidState));
        Assert.That((await RunAsync(cancelled.Id)).Status, Is.EqualTo(RunStatus.Cancelled));
        Assert.That((await TaskAsync(lint.Id)).Status, Is.EqualTo(TaskRunStatus.Failed));
    }

    [Test]
    public async Task RetryTask_ForeignOrgFamilyOrRun_NotFound()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Family = "workflows", Tasks = [T("a")] })).Run;
        var other = await CreateRunAsync(T("x"));
        var a = await ClaimOneAsync("a");
        await FailAsync(a, retryable: false);

        Assert.That(await RetryAsync(run.Id, a.Id, org: OtherOrg), Is.EqualTo(RunCommandStatus.NotFound));
        Assert.That(await RetryAsync(run.Id, a.Id, family: "jobs"), Is.EqualTo(RunCommandStatus.NotFound));
        Assert.That(await RetryAsync(other.Id, a.Id), Is.EqualTo(RunCommandStatus.NotFound), "a task of another run");
        Assert.That(await RetryAsync(Guid.NewGuid(), a.Id), Is.EqualTo(RunCommandStatus.NotFound));
        Assert.That(await RetryAsync(run.Id, Guid.NewGuid()), Is.EqualTo(RunCommandStatus.NotFound));
        Assert.That((await TaskAsync(a.Id)).Status, Is.EqualTo(TaskRunStatus.Failed));
        Assert.That(await RetryAsync(run.Id, a.Id, family: "workflows"), Is.EqualTo(RunCommandStatus.Applied));
    }

    [Test]
    public async Task RetryTask_StaleLeaseOfFailedAttempt_RefusedBeforeAndAfterTheNewClaim()
    {
        var run = await CreateRunAsync(T("a"));
        var old = await ClaimOneAsync("a");
        await FailAsync(old, retryable: false);

        Assert.That(await RetryAsync(run.Id, old.Id), Is.EqualTo(RunCommandStatus.Applied));
        Assert.That(await CompleteAsync(old), Is.False, "the old attempt completed the queued task");
        var fresh = await ClaimOneAsync("a");
        var heartbeat = await Store.HeartbeatTasksAsync(new HeartbeatTasksParams([Lease(old)], LeaseLength), CancellationToken.None);

        Assert.That(fresh.LeaseToken, Is.Not.EqualTo(old.LeaseToken));
        Assert.That(heartbeat[0].Outcome, Is.Not.EqualTo(HeartbeatOutcome.Extended), "the old lease must not be honoured");
        Assert.That(await CompleteAsync(old), Is.False, "the old attempt completed the new one");
        Assert.That((await FailAsync(old, retryable: false)).Applied, Is.False);
        Assert.That(await CompleteAsync(fresh), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task RetryTask_Applied_WritesTaskRetriedWithTheEarlierAttempts()
    {
        var run = await CreateRunAsync(T("a"));
        var a = await ClaimOneAsync("a");
        await FailAsync(a, retryable: false);

        await RetryAsync(run.Id, a.Id);

        var events = await EventsAsync(run.Id);
        var retried = events.Single(e => e.Type == EventTypes.TaskRetried);
        Assert.That(retried.TaskId, Is.EqualTo(a.Id));
        Assert.That(retried.DataJson, Is.EqualTo("""{"attempts":1}"""));
        Assert.That(events.Select(e => e.Type).TakeLast(3), Is.EqualTo(new[] { EventTypes.TaskFailed, EventTypes.RunFailed, EventTypes.TaskRetried }));
    }

    [Test]
    public async Task RetryTask_AllowedFailure_PendingDependantWaitsForTheRetriedTask()
    {
        // d waits for a (allowed to fail) and u: a's failure counted as done for d, the retry takes that back.
        var run = await CreateRunAsync(new TaskSpec { Name = "a", Type = "work", AllowFailure = true }, T("u"), T("d", "a", "u"));
        var claimed = await ClaimAsync(2);
        var a = claimed.Single(t => t.Name == "a");
        await FailAsync(a, retryable: false);

        Assert.That(await RetryAsync(run.Id, a.Id), Is.EqualTo(RunCommandStatus.Applied));
        await CompleteAsync(claimed.Single(t => t.Name == "u"));

        Assert.That(await StatusAsync(run.Id, "d"), Is.EqualTo(TaskRunStatus.Pending), "d went ahead without the retried task");
        await CompleteAsync(await ClaimOneAsync("a"));
        await CompleteAsync(await ClaimOneAsync("d"));
        Assert.That(await ClaimAsync(), Is.Empty);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task RetryTask_RouteSkippedByTheFailure_WaitsForTheRetriedSourceAndRuns()
    {
        var run = await CreateRunAsync(T("a"), new TaskSpec { Name = "next", Type = "work", Routes = [new TaskRoute("a", RouteOn.Completed)] });
        var a = await ClaimOneAsync("a");
        await FailAsync(a, retryable: false);
        Assert.That(await StatusAsync(run.Id, "next"), Is.EqualTo(TaskRunStatus.Skipped));

        Assert.That(await RetryAsync(run.Id, a.Id), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That(await StatusAsync(run.Id, "next"), Is.EqualTo(TaskRunStatus.Pending));
        await CompleteAsync(await ClaimOneAsync("a"));
        await CompleteAsync(await ClaimOneAsync("next"));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task RetryTask_RejectedApproval_AwaitsANewReviewAndItsDependantRunsAfterIt()
    {
        var run = await CreateRunAsync(new TaskSpec { Name = "gate", Type = TaskTypes.Approval }, T("deploy", "gate"));
        await Client.ReviewTaskAsync(new ReviewTaskParams { OrgId = Org, RunId = run.Id, TaskName = "gate", Approved = false, Reviewer = "alice", Comments = "not yet" });
        var failedRun = await RunAsync(run.Id);
        Assert.That(failedRun.Status, Is.EqualTo(RunStatus.Failed));
        var gate = await TaskByNameAsync(run.Id, "gate");

        Assert.That(await RetryAsync(run.Id, gate.Id), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That(await StatusAsync(run.Id, "gate"), Is.EqualTo(TaskRunStatus.AwaitingApproval), "an approval task is never queued");
        Assert.That(await StatusAsync(run.Id, "deploy"), Is.EqualTo(TaskRunStatus.Pending));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(failedRun.StartedAt is null ? RunStatus.Pending : RunStatus.Running));
        var review = await Client.ReviewTaskAsync(new ReviewTaskParams { OrgId = Org, RunId = run.Id, TaskName = "gate", Approved = true, Reviewer = "bob" });
        Assert.That(review.Status, Is.EqualTo(ReviewTaskStatus.Applied));
        await CompleteAsync(await ClaimOneAsync("deploy"));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }
}
