using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>Tasks waiting to retry: each comes back at its own time, signalled, and only while its run still wants it.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RetryConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task FailTasks_TwoRetriesDueAtDifferentTimes_EachClaimableAtItsOwnTimeFirstSignalled()
    {
        await CreateRunAsync(T("a"));
        await CreateRunAsync(T("b"));
        var claimed = await ClaimAsync();
        var start = Time.GetUtcNow();
        await FailAsync(claimed.Single(t => t.Name == "a"));
        Time.Advance(TimeSpan.FromSeconds(5));
        await FailAsync(claimed.Single(t => t.Name == "b"));

        // a is due at +10 s, b at +15 s (the policy's first delay is 10 s).
        var version = Store.WorkAvailable.Version;
        Time.Advance(start + Policy.InitialDelay - Time.GetUtcNow());
        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version), "no wake-up when the first retry fell due");
        Assert.That((await ClaimAsync()).Select(t => t.Name), Is.EqualTo(new[] { "a" }));

        // Only the in-memory store re-arms its wake-up for b when a claim finds b not yet due; the SQL stores leave b
        // to the runtime's safety poll, so the wake-up for b is no promise of every back end.
        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.That((await ClaimAsync()).Select(t => t.Name), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public async Task FailTasks_OutputWithEachFailure_LatestOutputKeptAndAFailureWithoutOutputKeepsIt()
    {
        var run = await CreateRunAsync(T("a"));

        await FailWithOutputAsync(await ClaimOneAsync(), """{"step":1}""", retryable: true);
        Assert.That((await TaskByNameAsync(run.Id, "a")).OutputJson, Is.EqualTo("""{"step":1}"""));
        Time.Advance(Policy.InitialDelay);
        await FailWithOutputAsync(await ClaimOneAsync(), """{"step":2}""", retryable: true);
        Assert.That((await TaskByNameAsync(run.Id, "a")).OutputJson, Is.EqualTo("""{"step":2}"""));
        Time.Advance(Policy.MaxDelay);
        await FailWithOutputAsync(await ClaimOneAsync(), null, retryable: false);

        var failed = await TaskByNameAsync(run.Id, "a");
        Assert.That((failed.Status, failed.OutputJson), Is.EqualTo((TaskRunStatus.Failed, (string?)"""{"step":2}""")));
    }

    [Test]
    public async Task CancelRun_TaskWaitingToRetry_NeverClaimedAfterItsRetryTime()
    {
        var run = await CreateRunAsync(T("a"));
        await FailAsync(await ClaimOneAsync());

        Assert.That(await Store.CancelRunAsync(Org, run.Id, CancellationToken.None), Is.EqualTo(RunCommandStatus.Applied));
        Time.Advance(Policy.MaxDelay);

        Assert.That(await ClaimAsync(), Is.Empty);
        Assert.That((await TaskByNameAsync(run.Id, "a")).Status, Is.EqualTo(TaskRunStatus.Cancelled));
    }

    private async Task FailWithOutputAsync(TaskRun task, string? output, bool retryable)
    {
        var results = await Store.FailTasksAsync([new TaskFailure(Lease(task), JsonDefaults.ErrorJson("boom"), retryable, output)], CancellationToken.None);
        Assert.That(results[0].Applied, Is.True);
    }
}
