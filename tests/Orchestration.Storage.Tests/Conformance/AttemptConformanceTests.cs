using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

// A store may keep the attempt in progress with its task and write the attempt row only when it ends (SQLite does):
// the attempt history reads the same either way, ended attempts in order and then the one in progress.
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class AttemptConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task GetAttempts_RetriedTaskClaimedAgain_EndedAttemptThenRunningOne()
    {
        await CreateRunAsync(T("a"));
        var first = await ClaimOneAsync("a");
        Assert.That((await FailAsync(first)).Status, Is.EqualTo(TaskRunStatus.Retrying));
        Time.Advance(TimeSpan.FromSeconds(11));
        var claimedAt = Time.GetUtcNow();
        var second = (await ClaimAsync(1, executor: "executor-2")).Single();

        var attempts = await Queries.GetAttemptsAsync(Org, second.Id, CancellationToken.None);

        Assert.That(attempts.Select(a => (a.Number, a.ExecutorId, a.Outcome)),
            Is.EqualTo(new[] { (1, "executor-1", (string?)AttemptOutcomes.Failed), (2, "executor-2", (string?)null) }));
        Assert.That(attempts[1].EndedAt, Is.Null, "the second attempt is in progress");
        Assert.That(attempts[1].StartedAt, Is.EqualTo(claimedAt));
        Assert.That(attempts[1].ExecutorIp, Is.EqualTo("10.0.0.7"));
        Assert.That(attempts[1].TaskId, Is.EqualTo(second.Id));
    }

    [Test]
    public async Task GetAttempts_RunningAttemptCompleted_ShownOnceWithItsEnd()
    {
        await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync("a");
        var startedAt = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromSeconds(5));

        Assert.That(await CompleteAsync(task), Is.True);
        var attempts = await Queries.GetAttemptsAsync(Org, task.Id, CancellationToken.None);

        Assert.That(attempts, Has.Count.EqualTo(1));
        Assert.That((attempts[0].Number, attempts[0].Outcome), Is.EqualTo((1, (string?)AttemptOutcomes.Completed)));
        Assert.That((attempts[0].StartedAt, attempts[0].EndedAt), Is.EqualTo((startedAt, (DateTimeOffset?)Time.GetUtcNow())));
        Assert.That(attempts[0].ExecutorIp, Is.EqualTo("10.0.0.7"));
    }

    [Test]
    public async Task GetAttempts_LeaseReleased_AttemptEndedAndNoneInProgress()
    {
        await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync("a");

        Assert.That(await Store.ReleaseTasksAsync([Lease(task)], CancellationToken.None), Is.EqualTo(1));
        var attempts = await Queries.GetAttemptsAsync(Org, task.Id, CancellationToken.None);

        Assert.That(attempts.Select(a => (a.Outcome, a.EndedAt)), Is.EqualTo(new[] { ((string?)AttemptOutcomes.Released, (DateTimeOffset?)Time.GetUtcNow()) }));
        Assert.That((await TaskAsync(task.Id)).Status, Is.EqualTo(TaskRunStatus.Queued));
    }

    [Test]
    public async Task GetAttempts_TaskOfAnotherOrg_Empty()
    {
        await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync("a");

        Assert.That(await Queries.GetAttemptsAsync(OtherOrg, task.Id, CancellationToken.None), Is.Empty);
    }
}
