using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Manual approval: an approval task is never claimed; when ready it awaits a review, which completes it (approved) or
/// fails it (rejected), records who reviewed and when, and moves the graph on exactly like an executor's write.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class ApprovalConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static TaskSpec Approval(string name, params string[] dependsOn) => new() { Name = name, Type = TaskTypes.Approval, DependsOn = dependsOn };

    private Task<ReviewTaskResult> ReviewAsync(Guid runId, string name, bool approved, string? comments = "looks good", string reviewer = "alice") =>
        Client.ReviewTaskAsync(new ReviewTaskParams { OrgId = Org, RunId = runId, TaskName = name, Approved = approved, Reviewer = reviewer, Comments = comments });

    [Test]
    public async Task CreateRun_ApprovalTaskReady_AwaitsApprovalAndIsNeverClaimed()
    {
        var run = await CreateRunAsync(Approval("gate"), T("deploy", "gate"));

        Assert.That((await TaskByNameAsync(run.Id, "gate")).Status, Is.EqualTo(TaskRunStatus.AwaitingApproval));
        Assert.That(await ClaimAsync(), Is.Empty);
        Assert.That((await RunAsync(run.Id)).Status, Is.Not.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task CompleteTasks_ApprovalAfterWork_AwaitsApprovalWhenItsDependencyCompletes()
    {
        var run = await CreateRunAsync(T("build"), Approval("gate", "build"));
        Assert.That((await TaskByNameAsync(run.Id, "gate")).Status, Is.EqualTo(TaskRunStatus.Pending));

        Assert.That(await CompleteAsync(await ClaimOneAsync("build")), Is.True);

        Assert.That((await TaskByNameAsync(run.Id, "gate")).Status, Is.EqualTo(TaskRunStatus.AwaitingApproval));
        Assert.That(await ClaimAsync(), Is.Empty);
    }

    [Test]
    public async Task ReviewTask_Approved_CompletesRecordsReviewAndDependentsRun()
    {
        var run = await CreateRunAsync(Approval("gate"), T("deploy", "gate"));

        var result = await ReviewAsync(run.Id, "gate", approved: true);

        Assert.That(result.Status, Is.EqualTo(ReviewTaskStatus.Applied));
        var gate = await TaskByNameAsync(run.Id, "gate");
        Assert.That(gate.Status, Is.EqualTo(TaskRunStatus.Completed));
        Assert.That(gate.Review, Is.Not.Null);
        Assert.That(gate.Review!.Approved, Is.True);
        Assert.That(gate.Review.Reviewer, Is.EqualTo("alice"));
        Assert.That(gate.Review.Comments, Is.EqualTo("looks good"));
        Assert.That(gate.Review.ReviewedAt, Is.EqualTo(Time.GetUtcNow()).Within(TimeSpan.FromSeconds(1)));
        var events = (await EventsAsync(run.Id)).Where(e => e.TaskId == gate.Id).Select(e => e.Type).ToList();
        Assert.That(events, Does.Contain(EventTypes.TaskApproved));
        Assert.That(events.IndexOf(EventTypes.TaskApproved), Is.LessThan(events.IndexOf(EventTypes.TaskCompleted)));

        Assert.That(await CompleteAsync(await ClaimOneAsync("deploy")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task ReviewTask_ByTaskId_Applies()
    {
        var run = await CreateRunAsync(Approval("gate"));
        var gate = await TaskByNameAsync(run.Id, "gate");

        var result = await Client.ReviewTaskAsync(new ReviewTaskParams { OrgId = Org, RunId = run.Id, TaskId = gate.Id, Approved = true, Reviewer = "bob" });

        Assert.That(result.Status, Is.EqualTo(ReviewTaskStatus.Applied));
        Assert.That(result.Task!.Review!.Reviewer, Is.EqualTo("bob"));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task ReviewTask_Rejected_FailsTaskFailureRouteRunsAndRunFails()
    {
        var run = await CreateRunAsync(
            Approval("gate"),
            new TaskSpec { Name = "deploy", Type = "work", Routes = [new TaskRoute("gate", RouteOn.Completed)] },
            new TaskSpec { Name = "notify", Type = "work", Routes = [new TaskRoute("gate", RouteOn.Failed)] });

        var result = await ReviewAsync(run.Id, "gate", approved: false, comments: "not on a friday");

        Assert.That(result.Status, Is.EqualTo(ReviewTaskStatus.Applied));
        var gate = await TaskByNameAsync(run.Id, "gate");
        Assert.That(gate.Status, Is.EqualTo(TaskRunStatus.Failed));
        Assert.That(JsonDefaults.ErrorMessage(gate.ErrorJson), Is.EqualTo("rejected by alice: not on a friday"));
        Assert.That(gate.Review!.Approved, Is.False);
        Assert.That((await EventsAsync(run.Id)).Any(e => e.TaskId == gate.Id && e.Type == EventTypes.TaskRejected), Is.True);
        Assert.That((await TaskByNameAsync(run.Id, "deploy")).Status, Is.EqualTo(TaskRunStatus.Skipped));

        Assert.That(await CompleteAsync(await ClaimOneAsync("notify")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));
    }

    [Test]
    public void ReviewTask_RejectedWithoutComments_RefusedByTheClient()
    {
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(async () =>
        {
            var run = await CreateRunAsync(Approval("gate"));
            await ReviewAsync(run.Id, "gate", approved: false, comments: " ");
        });
        Assert.That(ex!.Field, Is.EqualTo("comments"));
    }

    [Test]
    public async Task ReviewTask_SecondReview_RefusedAndFirstKept()
    {
        var run = await CreateRunAsync(Approval("gate"), T("after", "gate"));
        Assert.That((await ReviewAsync(run.Id, "gate", approved: true)).Status, Is.EqualTo(ReviewTaskStatus.Applied));

        var second = await ReviewAsync(run.Id, "gate", approved: false, comments: "changed my mind", reviewer: "mallory");

        Assert.That(second.Status, Is.EqualTo(ReviewTaskStatus.NotAwaitingApproval));
        var gate = await TaskByNameAsync(run.Id, "gate");
        Assert.That(gate.Status, Is.EqualTo(TaskRunStatus.Completed));
        Assert.That(gate.Review!.Reviewer, Is.EqualTo("alice"));
    }

    [Test]
    public async Task ReviewTask_TaskNotYetReady_NotAwaitingApproval()
    {
        var run = await CreateRunAsync(T("build"), Approval("gate", "build"));

        var result = await ReviewAsync(run.Id, "gate", approved: true);

        Assert.That(result.Status, Is.EqualTo(ReviewTaskStatus.NotAwaitingApproval));
        Assert.That((await TaskByNameAsync(run.Id, "gate")).Status, Is.EqualTo(TaskRunStatus.Pending));
    }

    [Test]
    public async Task ReviewTask_UnknownTaskOrOtherOrg_NotFound()
    {
        var run = await CreateRunAsync(Approval("gate"));

        var unknown = await ReviewAsync(run.Id, "nope", approved: true);
        var otherOrg = await Client.ReviewTaskAsync(new ReviewTaskParams { OrgId = OtherOrg, RunId = run.Id, TaskName = "gate", Approved = true, Reviewer = "eve" });
        var otherFamily = await Client.ReviewTaskAsync(new ReviewTaskParams { OrgId = Org, Family = "jobs", RunId = run.Id, TaskName = "gate", Approved = true, Reviewer = "eve" });

        Assert.That(unknown.Status, Is.EqualTo(ReviewTaskStatus.NotFound));
        Assert.That(otherOrg.Status, Is.EqualTo(ReviewTaskStatus.NotFound));
        Assert.That(otherFamily.Status, Is.EqualTo(ReviewTaskStatus.NotFound));
        Assert.That((await TaskByNameAsync(run.Id, "gate")).Status, Is.EqualTo(TaskRunStatus.AwaitingApproval));
    }

    [Test]
    public async Task CancelRun_WhileAwaitingApproval_TaskCancelledAndReviewRefused()
    {
        var run = await CreateRunAsync(Approval("gate"));

        Assert.That(await Client.CancelRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That((await TaskByNameAsync(run.Id, "gate")).Status, Is.EqualTo(TaskRunStatus.Cancelled));
        Assert.That((await ReviewAsync(run.Id, "gate", approved: true)).Status, Is.EqualTo(ReviewTaskStatus.NotAwaitingApproval));
    }

    [Test]
    public async Task RestartRun_AfterRejection_AwaitsApprovalAgain()
    {
        var run = await CreateRunAsync(Approval("gate"), T("deploy", "gate"));
        await ReviewAsync(run.Id, "gate", approved: false, comments: "no");
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));

        Assert.That(await Client.RestartRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That((await TaskByNameAsync(run.Id, "gate")).Status, Is.EqualTo(TaskRunStatus.AwaitingApproval));
        Assert.That(await ClaimAsync(), Is.Empty);
        Assert.That((await ReviewAsync(run.Id, "gate", approved: true)).Status, Is.EqualTo(ReviewTaskStatus.Applied));
        Assert.That((await TaskByNameAsync(run.Id, "deploy")).Status, Is.EqualTo(TaskRunStatus.Queued));
    }
}
