using System.Text.Json;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Idle executors wait on the store's signals rather than polling: every write that makes a task claimable signals
/// <see cref="IOrchestrationStore.WorkAvailable"/>, every write that cancels a running task signals
/// <see cref="IOrchestrationStore.TasksCancelled"/>, or the work waits for the safety poll.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class WakeUpConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task ReleaseTasks_HeldLease_SignalsWorkAvailable()
    {
        await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync();
        var version = Store.WorkAvailable.Version;

        await Store.ReleaseTasksAsync([Lease(task)], CancellationToken.None);

        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version), "a released task is claimable at once");
    }

    [Test]
    public async Task CompleteTasks_DependentPromoted_SignalsWorkAvailable()
    {
        await CreateRunAsync(T("a"), T("b", "a"));
        var a = await ClaimOneAsync("a");
        var version = Store.WorkAvailable.Version;

        await CompleteAsync(a);

        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version), "the dependent became claimable");
        await ClaimOneAsync("b");
    }

    [Test]
    public async Task CompleteTasks_RunHeldBackByItsConcurrencyLimit_SignalsWorkAvailable()
    {
        await Client.CreateRunAsync(new RunSpec { OrgId = Org, MaxConcurrency = 1, Tasks = [T("a"), T("b")] });
        var first = await ClaimOneAsync();
        Assert.That(await ClaimAsync(), Is.Empty, "the run's limit holds the second task back");
        var version = Store.WorkAvailable.Version;

        await CompleteAsync(first);

        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version), "the freed slot makes the held-back task claimable at once, not at the next poll");
        Assert.That(await ClaimAsync(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task FailTasks_RunHeldBackByItsConcurrencyLimit_SignalsWorkAvailable([Values] bool retryable)
    {
        await Client.CreateRunAsync(new RunSpec { OrgId = Org, MaxConcurrency = 1, Tasks = [T("a"), T("b")] });
        var first = await ClaimOneAsync();
        Assert.That(await ClaimAsync(), Is.Empty, "the run's limit holds the second task back");
        var version = Store.WorkAvailable.Version;

        var written = await FailAsync(first, retryable: retryable);

        Assert.That(written.Applied, Is.True);
        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version), "the failed attempt freed the slot the other task waits for");
        Assert.That(await ClaimAsync(), Has.Count.EqualTo(1), "one slot, one task claimed");
    }

    [Test]
    public async Task CompleteTasks_LimitedRunWithNothingLeftToClaim_DoesNotSignal()
    {
        await Client.CreateRunAsync(new RunSpec { OrgId = Org, MaxConcurrency = 2, Tasks = [T("a"), T("b")] });
        var claimed = await ClaimAsync();
        Assert.That(claimed, Has.Count.EqualTo(2));
        var version = Store.WorkAvailable.Version;

        await CompleteAsync(claimed[0]);

        Assert.That(Store.WorkAvailable.Version, Is.EqualTo(version), "nothing of the run waits for the slot: no wake-up for every executor");
    }

    [Test]
    public async Task FailTimedOutRuns_TaskRunning_SignalsTasksCancelled()
    {
        await Client.CreateRunAsync(new RunSpec { OrgId = Org, Timeout = TimeSpan.FromMinutes(1), Tasks = [T("a")] });
        await ClaimOneAsync("a");
        var version = Store.TasksCancelled.Version;
        Time.Advance(TimeSpan.FromMinutes(1));

        Assert.That(await Store.FailTimedOutRunsAsync(100, CancellationToken.None), Is.EqualTo(1));

        Assert.That(Store.TasksCancelled.Version, Is.GreaterThan(version), "the executor running the task must be told");
    }

    [Test]
    public async Task CompleteTasks_TwoDependentsPromotedInOneBatch_SignalsWorkAvailable()
    {
        await CreateRunAsync(T("a"), T("b", "a"));
        await CreateRunAsync(T("a"), T("b", "a"));
        var claimed = await ClaimAsync();
        var version = Store.WorkAvailable.Version;

        await Store.CompleteTasksAsync(claimed.Select(t => new TaskCompletion(Lease(t), null)).ToList(), CancellationToken.None);

        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version), "both dependents became claimable");
        Assert.That(await ClaimAsync(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task FailTimedOutRuns_TwoRunsWithTasksRunning_SignalsTasksCancelled()
    {
        for (var i = 0; i < 2; i++)
            await Client.CreateRunAsync(new RunSpec { OrgId = Org, Timeout = TimeSpan.FromMinutes(1), Tasks = [T("a")] });
        Assert.That(await ClaimAsync(), Has.Count.EqualTo(2));
        var version = Store.TasksCancelled.Version;
        Time.Advance(TimeSpan.FromMinutes(1));

        Assert.That(await Store.FailTimedOutRunsAsync(100, CancellationToken.None), Is.EqualTo(2));

        Assert.That(Store.TasksCancelled.Version, Is.GreaterThan(version), "the executors running the tasks must be told");
    }

    [Test]
    public async Task ClaimTasks_ManyReleasedAttempts_StartedEventCarriesEachAttemptNumber()
    {
        // Released attempts do not count against the retry policy, so a task can be started any number of times.
        var run = await CreateRunAsync(T("a"));
        for (var i = 0; i < 9; i++)
            await Store.ReleaseTasksAsync([Lease(await ClaimOneAsync("a"))], CancellationToken.None);
        var tenth = await ClaimOneAsync("a");

        var started = (await EventsAsync(run.Id)).Where(e => e.Type == EventTypes.TaskStarted)
            .Select(e => JsonDocument.Parse(e.DataJson!).RootElement.GetProperty("attempt").GetInt32());

        Assert.That(tenth.Attempt, Is.EqualTo(10));
        Assert.That(started, Is.EqualTo(Enumerable.Range(1, 10)));
    }
}
