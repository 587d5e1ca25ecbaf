using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class LifecycleConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task CancelRun_MidRun_EverythingCancelledAndLateCompletionIgnored()
    {
        var run = await CreateRunAsync(T("a"), T("b"), T("c", "a"));
        var a = await ClaimOneAsync("a");
        var cancelVersion = Store.TasksCancelled.Version;

        var status = await Client.CancelRunAsync(Org, run.Id);

        Assert.That(status, Is.EqualTo(RunCommandStatus.Applied));
        Assert.That(Store.TasksCancelled.Version, Is.GreaterThan(cancelVersion), "executors must be told");
        var heartbeat = await Store.HeartbeatTasksAsync(new HeartbeatTasksParams([Lease(a)], LeaseLength), CancellationToken.None);
        Assert.That(heartbeat[0].Outcome, Is.EqualTo(HeartbeatOutcome.Cancelled));
        Assert.That(await CompleteAsync(a), Is.False, "a late completion applied after cancel");
        Assert.That(await ClaimAsync(), Is.Empty);
        var tasks = await Queries.GetRunTasksAsync(Org, run.Id, CancellationToken.None);
        Assert.That(tasks.Select(t => t.Status), Is.All.EqualTo(TaskRunStatus.Cancelled));
        var stored = await RunAsync(run.Id);
        Assert.That(stored.Status, Is.EqualTo(RunStatus.Cancelled));
        Assert.That(stored.CompletedAt, Is.EqualTo(Time.GetUtcNow()));
        Assert.That((await EventsAsync(run.Id)).Select(e => e.Type), Does.Contain(EventTypes.RunCancelled));
    }

    [Test]
    public async Task CancelRun_FinishedOrForeign_Refused()
    {
        var run = await CreateRunAsync(T("a"));
        await CompleteAsync(await ClaimOneAsync());

        Assert.That(await Client.CancelRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.InvalidState));
        Assert.That(await Client.CancelRunAsync(OtherOrg, run.Id), Is.EqualTo(RunCommandStatus.NotFound));
        Assert.That(await Client.CancelRunAsync(Org, Guid.NewGuid()), Is.EqualTo(RunCommandStatus.NotFound));
    }

    [Test]
    public async Task RestartRun_FailedRun_OnlyFailedCancelledSkippedRunAgain()
    {
        var run = await CreateRunAsync(T("a"), T("b"), T("c", "b"));
        var a = await ClaimOneAsync("a");
        await CompleteAsync(a);
        await FailAsync(await ClaimOneAsync("b"), retryable: false);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));

        var status = await Client.RestartRunAsync(Org, run.Id);

        Assert.That(status, Is.EqualTo(RunCommandStatus.Applied));
        var restarted = await RunAsync(run.Id);
        Assert.That(restarted.Status, Is.EqualTo(RunStatus.Pending));
        Assert.That(restarted.ErrorJson, Is.Null);
        Assert.That((await TaskByNameAsync(run.Id, "a")).Status, Is.EqualTo(TaskRunStatus.Completed));
        Assert.That((await TaskByNameAsync(run.Id, "c")).Status, Is.EqualTo(TaskRunStatus.Pending));
        var b = await ClaimOneAsync("b");
        Assert.That(b.Attempt, Is.EqualTo(1), "attempts start over");
        await CompleteAsync(b);
        await CompleteAsync(await ClaimOneAsync("c"));
        Assert.That(await ClaimAsync(), Is.Empty, "a completed task ran again");
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task RestartRun_CancelledRun_RunsAgain()
    {
        var run = await CreateRunAsync(T("a"));
        var first = await ClaimOneAsync();
        await Client.CancelRunAsync(Org, run.Id);

        Assert.That(await Client.RestartRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.Applied));
        var heartbeat = await Store.HeartbeatTasksAsync(new HeartbeatTasksParams([Lease(first)], LeaseLength), CancellationToken.None);
        var again = await ClaimOneAsync();

        Assert.That(heartbeat[0].Outcome, Is.Not.EqualTo(HeartbeatOutcome.Extended), "the cancelled attempt's lease must not be honoured");
        Assert.That(await CompleteAsync(first), Is.False);
        Assert.That(await CompleteAsync(again), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task RestartRun_RunningOrForeign_Refused()
    {
        var run = await CreateRunAsync(T("a"));

        Assert.That(await Client.RestartRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.InvalidState));
        Assert.That(await Client.RestartRunAsync(OtherOrg, run.Id), Is.EqualTo(RunCommandStatus.NotFound));
    }

    [Test]
    public async Task FailTimedOutRuns_PastDeadline_RunFailsAndRunningTasksCancelled()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Timeout = TimeSpan.FromMinutes(1), Tasks = [T("a"), T("b", "a")] })).Run;
        var a = await ClaimOneAsync("a");

        Time.Advance(TimeSpan.FromSeconds(59));
        Assert.That(await Store.FailTimedOutRunsAsync(100, CancellationToken.None), Is.Zero);
        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.That(await Store.FailTimedOutRunsAsync(100, CancellationToken.None), Is.EqualTo(1));
        Assert.That(await Store.FailTimedOutRunsAsync(100, CancellationToken.None), Is.Zero, "a run timed out twice");

        var stored = await RunAsync(run.Id);
        Assert.That(stored.Status, Is.EqualTo(RunStatus.Failed));
        Assert.That(JsonDefaults.ErrorMessage(stored.ErrorJson), Is.EqualTo("run timed out"));
        var heartbeat = await Store.HeartbeatTasksAsync(new HeartbeatTasksParams([Lease(a)], LeaseLength), CancellationToken.None);
        Assert.That(heartbeat[0].Outcome, Is.EqualTo(HeartbeatOutcome.Cancelled));
        Assert.That((await TaskByNameAsync(run.Id, "b")).Status, Is.EqualTo(TaskRunStatus.Cancelled));
    }

    [Test]
    public async Task FailTimedOutRuns_OpenRunCompletedByClientBeforeDeadline_StaysCompleted()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, Family = "foreman", Timeout = TimeSpan.FromMinutes(1) })).Run;
        await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, RunId = run.Id, Status = RunStatus.Completed });
        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.That(await Store.FailTimedOutRunsAsync(100, CancellationToken.None), Is.Zero);
        var stored = await RunAsync(run.Id);
        Assert.That(stored.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(stored.ErrorJson, Is.Null);
    }

    [Test]
    public async Task FailTimedOutRuns_ExactlyAtDeadline_RunFails()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Timeout = TimeSpan.FromMinutes(1), Tasks = [T("a")] })).Run;
        Time.Advance(TimeSpan.FromMinutes(1));

        Assert.That(await Store.FailTimedOutRunsAsync(100, CancellationToken.None), Is.EqualTo(1), "a deadline is over at its instant");
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));
    }

    [Test]
    public async Task FailTimedOutRuns_MoreDueThanLimit_LimitPerPassUntilAllFailed()
    {
        var runs = new List<Run>();
        for (var i = 0; i < 3; i++)
            runs.Add((await Client.CreateRunAsync(new RunSpec { OrgId = Org, Timeout = TimeSpan.FromMinutes(1), Tasks = [T("a")] })).Run);
        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.That(await Store.FailTimedOutRunsAsync(2, CancellationToken.None), Is.EqualTo(2));
        Assert.That(await Store.FailTimedOutRunsAsync(2, CancellationToken.None), Is.EqualTo(1));
        Assert.That(await Store.FailTimedOutRunsAsync(2, CancellationToken.None), Is.Zero);
        foreach (var run in runs) Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));
    }

    [Test]
    public async Task CreateRun_SameIdempotencyKey_ReturnsFirstRunAndWritesNothing()
    {
        var first = await Client.CreateRunAsync(new RunSpec { OrgId = Org, IdempotencyKey = "order-42", Tasks = [T("a")] });
        var second = await Client.CreateRunAsync(new RunSpec { OrgId = Org, IdempotencyKey = "order-42", Tasks = [T("a"), T("b")] });
        var otherOrg = await Client.CreateRunAsync(new RunSpec { OrgId = OtherOrg, IdempotencyKey = "order-42", Tasks = [T("a")] });

        Assert.That(first.Created, Is.True);
        Assert.That(second.Created, Is.False);
        Assert.That(second.Run.Id, Is.EqualTo(first.Run.Id));
        Assert.That(second.Run.TotalTasks, Is.EqualTo(1));
        Assert.That(otherOrg.Created, Is.True);
        Assert.That(otherOrg.Run.Id, Is.Not.EqualTo(first.Run.Id));
        Assert.That((await Queries.ListRunsAsync(new RunQuery { OrgId = Org }, CancellationToken.None)).Total, Is.EqualTo(1));
        Assert.That((await Queries.GetRunByIdempotencyKeyAsync(Org, "order-42", CancellationToken.None))!.Id, Is.EqualTo(first.Run.Id));
    }

    [Test]
    public async Task CreateRun_SameIdempotencyKeyConcurrently_OneRun()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Client.CreateRunAsync(new RunSpec { OrgId = Org, IdempotencyKey = "same", Tasks = [T("a")] }))));

        Assert.That(attempts.Count(a => a.Created), Is.EqualTo(1));
        Assert.That(attempts.Select(a => a.Run.Id).Distinct().Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task UpdateOpenRun_StatusAndData_AppliedWithTimestamps()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, Family = "foreman", InputJson = """{"x":1}""" })).Run;
        Assert.That(run.Status, Is.EqualTo(RunStatus.Pending));
        Assert.That(run.Kind, Is.EqualTo(RunKind.Open));

        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, RunId = run.Id, Status = RunStatus.Running, MetadataJson = """{"m":2}""" }), Is.EqualTo(RunCommandStatus.Applied));
        var running = await RunAsync(run.Id);
        Time.Advance(TimeSpan.FromSeconds(5));
        await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, RunId = run.Id, Status = RunStatus.Completed, OutputJson = """{"y":3}""" });
        var done = await RunAsync(run.Id);

        Assert.That(running.Status, Is.EqualTo(RunStatus.Running));
        Assert.That(running.StartedAt, Is.EqualTo(run.CreatedAt + TimeSpan.FromSeconds(5)));
        Assert.That(running.MetadataJson, Does.Contain("2"));
        Assert.That(done.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(done.CompletedAt, Is.EqualTo(Time.GetUtcNow()));
        Assert.That(done.OutputJson, Does.Contain("3"));
        Assert.That(done.MetadataJson, Does.Contain("2"), "unset fields are kept");
        Assert.That(done.Family, Is.EqualTo("foreman"));
    }

    [Test]
    public async Task UpdateOpenRun_StatusOfManagedRunOrForeign_Refused()
    {
        var managed = await CreateRunAsync(T("a"));

        Assert.That(await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, RunId = managed.Id, Status = RunStatus.Completed }), Is.EqualTo(RunCommandStatus.InvalidState));
        Assert.That(await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, RunId = managed.Id, MetadataJson = "{}" }), Is.EqualTo(RunCommandStatus.Applied));
        Assert.That(await Client.UpdateRunAsync(new UpdateRunParams { OrgId = OtherOrg, RunId = managed.Id, MetadataJson = "{}" }), Is.EqualTo(RunCommandStatus.NotFound));
    }

    [Test]
    public async Task UpdateTaskByClient_OpenRunTasks_DrivenByClientAndCountersFollow()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, Family = "foreman" })).Run;
        var a = (await Client.AddTaskAsync(Org, run.Id, new TaskSpec { Name = "a", Type = "email", Enqueue = false })).Task!;
        var b = (await Client.AddTaskAsync(Org, run.Id, new TaskSpec { Name = "b", Type = "email", Enqueue = false })).Task!;
        Assert.That(a.Status, Is.EqualTo(TaskRunStatus.Pending));
        Assert.That(await ClaimAsync(), Is.Empty, "client-driven tasks are not claimable while pending");

        Time.Advance(TimeSpan.FromSeconds(1));
        await Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org, TaskId = a.Id, Status = TaskRunStatus.Running, QueueJobId = "q-1" });
        var started = await TaskAsync(a.Id);
        Time.Advance(TimeSpan.FromSeconds(2));
        await Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org, TaskId = a.Id, Status = TaskRunStatus.Completed, OutputJson = """{"sent":true}""" });
        await Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org, TaskId = b.Id, Status = TaskRunStatus.Failed, ErrorJson = """{"code":"bounce"}""" });

        var done = await TaskAsync(a.Id);
        Assert.That(started.Status, Is.EqualTo(TaskRunStatus.Running));
        Assert.That(started.StartedAt, Is.EqualTo(a.CreatedAt + TimeSpan.FromSeconds(1)));
        Assert.That(done.Status, Is.EqualTo(TaskRunStatus.Completed));
        Assert.That(done.CompletedAt, Is.EqualTo(Time.GetUtcNow()));
        Assert.That(done.QueueJobId, Is.EqualTo("q-1"));
        Assert.That(done.OutputJson, Does.Contain("sent"));
        var stored = await RunAsync(run.Id);
        Assert.That((stored.TotalTasks, stored.CompletedTasks, stored.FailedTasks), Is.EqualTo((2, 1, 1)));
        Assert.That(stored.Status, Is.EqualTo(RunStatus.Pending), "an open run's status is the client's to set");
        Assert.That(await Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = OtherOrg, TaskId = a.Id, Status = TaskRunStatus.Failed }), Is.EqualTo(RunCommandStatus.NotFound));
    }

    [Test]
    public async Task UpdateTaskByClient_QueuedByClient_BecomesClaimable()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, Family = "foreman" })).Run;
        var a = (await Client.AddTaskAsync(Org, run.Id, new TaskSpec { Name = "a", Type = "email", Enqueue = false })).Task!;

        await Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org, TaskId = a.Id, Status = TaskRunStatus.Queued });

        var claimed = await ClaimOneAsync("a");
        Assert.That(claimed.Id, Is.EqualTo(a.Id));
    }

    [Test]
    public async Task CreateRun_ManagedWithoutTasks_CompletesAtOnce()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org })).Run;

        Assert.That(run.Status, Is.EqualTo(RunStatus.Completed));
    }
}
