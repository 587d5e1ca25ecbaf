using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>The times a run and its tasks record: when a task became ready, when a run first ran, when an attempt ended.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RunTimesConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task CreateRun_QueuedAt_SetForReadyTasksAtOnceAndForDependentsWhenPromoted()
    {
        var created = Time.GetUtcNow();
        var run = await CreateRunAsync(T("a"), T("b", "a"));
        Assert.That((await TaskByNameAsync(run.Id, "a")).QueuedAt, Is.EqualTo(created));
        Assert.That((await TaskByNameAsync(run.Id, "b")).QueuedAt, Is.Null, "a pending task has no queue time");

        var a = await ClaimOneAsync("a");
        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(await CompleteAsync(a), Is.True);

        Assert.That((await TaskByNameAsync(run.Id, "b")).QueuedAt, Is.EqualTo(Time.GetUtcNow()));
    }

    [Test]
    public async Task CompleteTasks_RunCompletes_StartedAtStaysWhenItFirstRan()
    {
        var run = await CreateRunAsync(T("a"));
        Time.Advance(TimeSpan.FromSeconds(1));
        var started = Time.GetUtcNow();
        var a = await ClaimOneAsync();
        Time.Advance(TimeSpan.FromSeconds(5));

        Assert.That(await CompleteAsync(a), Is.True);

        var done = await RunAsync(run.Id);
        Assert.That((done.Status, done.StartedAt, done.CompletedAt), Is.EqualTo((RunStatus.Completed, (DateTimeOffset?)started, (DateTimeOffset?)Time.GetUtcNow())));
    }

    [Test]
    public async Task CancelRun_TaskRunning_ItsAttemptEndsCancelledAtThatTime()
    {
        var run = await CreateRunAsync(T("a"));
        var a = await ClaimOneAsync();
        Time.Advance(TimeSpan.FromSeconds(3));

        Assert.That(await Store.CancelRunAsync(Org, run.Id, CancellationToken.None), Is.EqualTo(RunCommandStatus.Applied));

        var attempt = (await Queries.GetAttemptsAsync(Org, a.Id, CancellationToken.None)).Single();
        Assert.That((attempt.Outcome, attempt.EndedAt), Is.EqualTo((AttemptOutcomes.Cancelled, (DateTimeOffset?)Time.GetUtcNow())));
    }
}
