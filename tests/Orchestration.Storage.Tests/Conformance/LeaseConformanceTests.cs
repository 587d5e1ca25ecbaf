using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class LeaseConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task CompleteTasks_StaleLeaseToken_NotApplied()
    {
        await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync();

        var stale = await Store.CompleteTasksAsync([new TaskCompletion(new TaskLease(task.Id, Guid.NewGuid()), "{}")], CancellationToken.None);
        var real = await CompleteAsync(task, """{"ok":true}""");
        var again = await CompleteAsync(task, """{"ok":false}""");

        Assert.That(stale[0].Applied, Is.False);
        Assert.That(real, Is.True);
        Assert.That(again, Is.False, "a task completed twice");
        var stored = await TaskAsync(task.Id);
        Assert.That(stored.Status, Is.EqualTo(TaskRunStatus.Completed));
        Assert.That(stored.OutputJson, Does.Contain("true"));
    }

    [Test]
    public async Task HeartbeatTasks_StaleToken_LostAndValidTokenExtended()
    {
        await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync();
        Time.Advance(TimeSpan.FromSeconds(10));

        var results = await Store.HeartbeatTasksAsync(new HeartbeatTasksParams([new TaskLease(task.Id, Guid.NewGuid()), Lease(task)], LeaseLength), CancellationToken.None);

        Assert.That(results[0].Outcome, Is.EqualTo(HeartbeatOutcome.Lost));
        Assert.That(results[1].Outcome, Is.EqualTo(HeartbeatOutcome.Extended));
        Assert.That(results[1].LeaseExpiresAt, Is.EqualTo(Time.GetUtcNow() + LeaseLength));
        Assert.That((await TaskAsync(task.Id)).LeaseExpiresAt, Is.EqualTo(Time.GetUtcNow() + LeaseLength));
    }

    [Test]
    public async Task HeartbeatTasks_TaskAlreadyCompletedOrFailed_LostNotCancelled()
    {
        await CreateRunAsync(T("a"));
        await CreateRunAsync(T("b"));
        var a = await ClaimOneAsync("a");
        var b = await ClaimOneAsync("b");
        await CompleteAsync(a);
        await FailAsync(b, retryable: false);

        var results = await Store.HeartbeatTasksAsync(new HeartbeatTasksParams([Lease(a), Lease(b)], LeaseLength), CancellationToken.None);

        Assert.That(results.Select(r => r.Outcome), Is.EqualTo(new[] { HeartbeatOutcome.Lost, HeartbeatOutcome.Lost }));
        Assert.That(results.Select(r => r.LeaseExpiresAt), Is.All.Null);
    }

    [Test]
    public async Task FailTasks_StaleLeaseToken_NotApplied()
    {
        await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync();

        var results = await Store.FailTasksAsync([new TaskFailure(new TaskLease(task.Id, Guid.NewGuid()), "{}")], CancellationToken.None);

        Assert.That(results[0].Applied, Is.False);
        Assert.That((await TaskAsync(task.Id)).Status, Is.EqualTo(TaskRunStatus.Running));
    }

    [Test]
    public async Task ReleaseExpiredLeases_ExpiredLease_ReclaimedWithNextAttempt()
    {
        await CreateRunAsync(T("a"));
        var first = await ClaimOneAsync();

        Time.Advance(LeaseLength - TimeSpan.FromSeconds(1));
        Assert.That(await Store.ReleaseExpiredLeasesAsync(100, CancellationToken.None), Is.Zero, "a live lease was reaped");
        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.That(await Store.ReleaseExpiredLeasesAsync(100, CancellationToken.None), Is.EqualTo(1));

        var afterReap = await TaskAsync(first.Id);
        Assert.That(afterReap.Status, Is.EqualTo(TaskRunStatus.Retrying));
        Time.Advance(Policy.InitialDelay);
        var second = await ClaimOneAsync();

        Assert.That(second.Id, Is.EqualTo(first.Id));
        Assert.That(second.Attempt, Is.EqualTo(2));
        Assert.That(second.LeaseToken, Is.Not.EqualTo(first.LeaseToken));
        Assert.That(await CompleteAsync(first), Is.False, "the expired attempt completed");
        Assert.That(await CompleteAsync(second), Is.True);
        var attempts = await Queries.GetAttemptsAsync(Org, first.Id, CancellationToken.None);
        Assert.That(attempts.Select(a => a.Outcome), Is.EqualTo(new[] { AttemptOutcomes.LeaseExpired, AttemptOutcomes.Completed }));
    }

    [Test]
    public async Task ReleaseExpiredLeases_AttemptsUsedUp_TaskAndRunFail()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Tasks = [T("a") with { MaxRetries = 0 }] })).Run;
        await ClaimOneAsync();
        Time.Advance(LeaseLength + TimeSpan.FromSeconds(1));

        await Store.ReleaseExpiredLeasesAsync(100, CancellationToken.None);

        var task = await TaskByNameAsync(run.Id, "a");
        Assert.That(task.Status, Is.EqualTo(TaskRunStatus.Failed));
        Assert.That(JsonDefaults.ErrorMessage(task.ErrorJson), Does.Contain("lease expired"));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));
    }

    [Test]
    public async Task HeartbeatTasks_Extended_NotReapedAtOriginalExpiry()
    {
        await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync();
        Time.Advance(TimeSpan.FromSeconds(20));
        await Store.HeartbeatTasksAsync(new HeartbeatTasksParams([Lease(task)], LeaseLength), CancellationToken.None);
        Time.Advance(TimeSpan.FromSeconds(20));

        var reaped = await Store.ReleaseExpiredLeasesAsync(100, CancellationToken.None);

        Assert.That(reaped, Is.Zero);
        Assert.That(await CompleteAsync(task), Is.True);
    }

    [Test]
    public async Task ReleaseTasks_HeldLease_QueuedAgainAtOnce()
    {
        await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync();

        var released = await Store.ReleaseTasksAsync([Lease(task), new TaskLease(Guid.NewGuid(), Guid.NewGuid())], CancellationToken.None);
        var again = await ClaimOneAsync();

        Assert.That(released, Is.EqualTo(1));
        Assert.That(again.Id, Is.EqualTo(task.Id));
        Assert.That(await CompleteAsync(task), Is.False);
        Assert.That(await CompleteAsync(again), Is.True);
    }

    [Test]
    public async Task CompleteTasks_SameLeaseTwiceInOneBatch_AppliedOnceWithTheFirstOutput()
    {
        var run = await CreateRunAsync(T("a"), T("b", "a"));
        var a = await ClaimOneAsync("a");

        var results = await Store.CompleteTasksAsync(
            [new TaskCompletion(Lease(a), "\"first\""), new TaskCompletion(Lease(a), "\"second\"")], CancellationToken.None);

        Assert.That(results.Select(r => r.Applied), Is.EqualTo(new[] { true, false }));
        Assert.That((await TaskAsync(a.Id)).OutputJson, Is.EqualTo("\"first\""));
        Assert.That((await RunAsync(run.Id)).CompletedTasks, Is.EqualTo(1));
        await CompleteAsync(await ClaimOneAsync("b"));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task CompleteTasks_Batch_EachItemFencedSeparately()
    {
        await CreateRunAsync(T("a"));
        await CreateRunAsync(T("b"));
        var claimed = await ClaimAsync(max: 2);

        var results = await Store.CompleteTasksAsync(
        [
            new TaskCompletion(Lease(claimed[0]), null),
            new TaskCompletion(new TaskLease(claimed[1].Id, Guid.NewGuid()), null),
        ], CancellationToken.None);

        Assert.That(results.Select(r => r.Applied), Is.EqualTo(new[] { true, false }));
        Assert.That(results[0].Status, Is.EqualTo(TaskRunStatus.Completed));
        Assert.That((await TaskAsync(claimed[1].Id)).Status, Is.EqualTo(TaskRunStatus.Running));
    }

    [Test]
    public async Task ReleaseExpiredLeases_ExactlyAtExpiry_Reaped()
    {
        await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync();
        Time.Advance(LeaseLength);

        Assert.That(await Store.ReleaseExpiredLeasesAsync(100, CancellationToken.None), Is.EqualTo(1), "a lease is over at its expiry instant");
        Assert.That(await CompleteAsync(task), Is.False);
    }

    [Test]
    public async Task ReleaseExpiredLeases_MoreExpiredThanLimit_ReapsLimitEarliestFirstThenTheRest()
    {
        await CreateRunAsync(T("a"));
        var first = await ClaimOneAsync("a");
        Time.Advance(TimeSpan.FromSeconds(1));
        await CreateRunAsync(T("b"));
        var second = await ClaimOneAsync("b");
        Time.Advance(TimeSpan.FromSeconds(1));
        await CreateRunAsync(T("c"));
        var third = await ClaimOneAsync("c");
        Time.Advance(LeaseLength);

        Assert.That(await Store.ReleaseExpiredLeasesAsync(2, CancellationToken.None), Is.EqualTo(2));
        Assert.That((await TaskAsync(first.Id)).Status, Is.EqualTo(TaskRunStatus.Retrying));
        Assert.That((await TaskAsync(second.Id)).Status, Is.EqualTo(TaskRunStatus.Retrying));
        Assert.That((await TaskAsync(third.Id)).Status, Is.EqualTo(TaskRunStatus.Running), "the latest expiry waits for the next pass");

        Assert.That(await Store.ReleaseExpiredLeasesAsync(2, CancellationToken.None), Is.EqualTo(1));
        Assert.That((await TaskAsync(third.Id)).Status, Is.EqualTo(TaskRunStatus.Retrying));
    }
}
