using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// The complete event list of every transition docs/engine.md promises, in order, on every back end: an event that is
/// missing, extra or attached to the wrong task fails here.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class EventConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task Events_GraphRunsToCompletion_RunAndTaskEventsInOrder()
    {
        var run = await CreateRunAsync(T("a"), T("b", "a"));
        await ExpectAsync(run.Id, "run.created");

        var a = await ClaimOneAsync("a");
        await ExpectAsync(run.Id, "run.started", "task.started:a");
        await CompleteAsync(a);
        await ExpectAsync(run.Id, "task.completed:a");
        await CompleteAsync(await ClaimOneAsync("b"));
        await ExpectAsync(run.Id, "task.started:b", "task.completed:b", "run.completed");
    }

    [Test]
    public async Task Events_RetryThenFailForGood_RetryingFailedSkippedAndRunFailed()
    {
        var run = await CreateRunAsync(T("a"), T("b", "a"), T("c", "b"), T("d"));
        await ExpectAsync(run.Id, "run.created");

        await FailAsync(await ClaimOneAsync("a"));
        await ExpectAsync(run.Id, "run.started", "task.started:a", "task.retrying:a");
        Time.Advance(Policy.InitialDelay);
        await FailAsync(await ClaimOneAsync("a"), retryable: false);
        // Skipping is transitive: c waits on b, which waits on a.
        await ExpectAsync(run.Id, "task.started:a", "task.failed:a", "task.skipped:b", "task.skipped:c");

        await CompleteAsync(await ClaimOneAsync("d"));
        await ExpectAsync(run.Id, "task.started:d", "task.completed:d", "run.failed");
    }

    [Test]
    public async Task Events_StartedRetryingAndTimedOut_CarryAttemptRetryTimeAndReason()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Timeout = TimeSpan.FromMinutes(5), Tasks = [T("a")] })).Run;
        await FailAsync(await ClaimOneAsync("a"));
        var retryAt = (await TaskByNameAsync(run.Id, "a")).NotBefore;
        Time.Advance(Policy.InitialDelay);
        await ClaimOneAsync("a");
        Time.Advance(TimeSpan.FromMinutes(5));
        await Store.FailTimedOutRunsAsync(100, CancellationToken.None);

        var events = await EventsAsync(run.Id);
        var started = events.Where(e => e.Type == EventTypes.TaskStarted).Select(e => Data(e).GetProperty("attempt").GetInt32());
        var retrying = Data(events.Single(e => e.Type == EventTypes.TaskRetrying));
        var failed = Data(events.Single(e => e.Type == EventTypes.RunFailed));

        Assert.That(started, Is.EqualTo(new[] { 1, 2 }));
        Assert.That(retrying.GetProperty("attempt").GetInt32(), Is.EqualTo(1), "the attempt that failed");
        Assert.That(DateTimeOffset.Parse(retrying.GetProperty("retry_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(retryAt));
        Assert.That(failed.GetProperty("reason").GetString(), Is.EqualTo("timeout"));
    }

    private static System.Text.Json.JsonElement Data(EngineEvent e) => System.Text.Json.JsonDocument.Parse(e.DataJson!).RootElement;

    [Test]
    public async Task Events_CancelMidRun_EveryUnfinishedTaskCancelledThenRun()
    {
        var run = await CreateRunAsync(T("a"), T("b", "a"));
        await CompleteAsync(await ClaimOneAsync("a"));
        await CompleteAsync(await ClaimOneAsync("b"));
        var events = await EventsAsync(run.Id);
        var c = await CreateRunAsync(T("x"), T("y", "x"));
        await ClaimOneAsync("x");

        await Client.CancelRunAsync(Org, c.Id);

        await ExpectAsync(c.Id, "run.created", "run.started", "task.started:x", "task.cancelled:x", "task.cancelled:y", "run.cancelled");
        Assert.That(await EventsAsync(run.Id), Has.Count.EqualTo(events.Count), "cancelling one run wrote events for another");
    }

    [Test]
    public async Task Events_LeaseExpires_RetryingWithLeaseExpiredAttempt()
    {
        var run = await CreateRunAsync(T("a"));
        var a = await ClaimOneAsync("a");
        await ExpectAsync(run.Id, "run.created", "run.started", "task.started:a");

        Time.Advance(LeaseLength + TimeSpan.FromSeconds(1));
        Assert.That(await Store.ReleaseExpiredLeasesAsync(100, CancellationToken.None), Is.EqualTo(1));

        await ExpectAsync(run.Id, "task.retrying:a");
        var attempts = await Queries.GetAttemptsAsync(Org, a.Id, CancellationToken.None);
        Assert.That(attempts.Single().Outcome, Is.EqualTo(AttemptOutcomes.LeaseExpired));
    }

    [Test]
    public async Task Events_RunTimesOut_RunningTaskCancelledAndRunFailed()
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Timeout = TimeSpan.FromMinutes(1), Tasks = [T("a"), T("b", "a")] })).Run;
        await ClaimOneAsync("a");
        await ExpectAsync(run.Id, "run.created", "run.started", "task.started:a");

        Time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.That(await Store.FailTimedOutRunsAsync(100, CancellationToken.None), Is.EqualTo(1));

        await ExpectAsync(run.Id, "task.cancelled:a", "task.cancelled:b", "run.failed");
    }

    [Test]
    public async Task RestartRun_FailedRunWithDeadline_ResetsEverythingThatRestartPromises()
    {
        var timeout = TimeSpan.FromMinutes(10);
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Timeout = timeout, Tasks = [T("a"), T("b", "a"), T("c")] })).Run;
        var createdDeadline = (await RunAsync(run.Id)).DeadlineAt;
        Assert.That(createdDeadline, Is.EqualTo(Time.GetUtcNow() + timeout));
        await CompleteAsync(await ClaimOneAsync("a"), """{"kept":true}""");
        var b = await ClaimOneAsync("b");
        await Store.FailTasksAsync([new TaskFailure(Lease(b), JsonDefaults.ErrorJson("bad"), Retryable: false, OutputJson: """{"partial":1}""")], CancellationToken.None);
        await CompleteAsync(await ClaimOneAsync("c"), """{"c":1}""");
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));
        var before = (await EventsAsync(run.Id)).Count;

        Time.Advance(TimeSpan.FromMinutes(7));
        Assert.That(await Client.RestartRunAsync(Org, run.Id), Is.EqualTo(RunCommandStatus.Applied));

        var restarted = await RunAsync(run.Id);
        var restartedB = await TaskByNameAsync(run.Id, "b");
        var keptA = await TaskByNameAsync(run.Id, "a");
        Assert.Multiple(() =>
        {
            Assert.That(restarted.Status, Is.EqualTo(RunStatus.Pending));
            Assert.That(restarted.ErrorJson, Is.Null);
            Assert.That(restarted.CompletedAt, Is.Null);
            Assert.That(restarted.DeadlineAt, Is.EqualTo(Time.GetUtcNow() + timeout), "the deadline starts over");
            Assert.That(restartedB.Status, Is.EqualTo(TaskRunStatus.Queued));
            Assert.That(restartedB.Attempt, Is.EqualTo(0));
            Assert.That(restartedB.OutputJson, Is.Null, "output of the failed attempt cleared");
            Assert.That(restartedB.ErrorJson, Is.Null, "error cleared");
            Assert.That(restartedB.CompletedAt, Is.Null);
            Assert.That(keptA.Status, Is.EqualTo(TaskRunStatus.Completed));
            Assert.That(keptA.OutputJson, Is.EqualTo("""{"kept":true}"""), "completed tasks keep their output");
        });
        var attempts = await Queries.GetAttemptsAsync(Org, restartedB.Id, CancellationToken.None);
        Assert.That(attempts.Select(x => x.Outcome), Is.EqualTo(new[] { AttemptOutcomes.Failed }), "attempt history is kept");
        Assert.That((await EventsAsync(run.Id)).Skip(before).Select(e => e.Type), Is.EqualTo(new[] { EventTypes.RunRestarted }));

        // The reset deadline is the one enforced: past the old deadline the run is still alive.
        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.That(await Store.FailTimedOutRunsAsync(100, CancellationToken.None), Is.EqualTo(0));
        await CompleteAsync(await ClaimOneAsync("b"));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
        Assert.That((await TaskByNameAsync(run.Id, "b")).Attempt, Is.EqualTo(1));
    }

    private int _seen;
    private Guid _seenRun;

    // Asserts the events written since the last call for this run, as "type" or "type:taskName".
    private async Task ExpectAsync(Guid runId, params string[] expected)
    {
        if (_seenRun != runId)
        {
            _seenRun = runId;
            _seen = 0;
        }

        var names = (await Queries.GetRunTasksAsync(Org, runId, CancellationToken.None)).ToDictionary(t => t.Id, t => t.Name);
        var events = await EventsAsync(runId);
        var actual = events.Skip(_seen).Select(e => e.TaskId is { } id ? $"{e.Type}:{names[id]}" : e.Type).ToList();
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(events.Select(e => e.Sequence), Is.Ordered.Ascending.And.Unique);
        _seen = events.Count;
    }
}
