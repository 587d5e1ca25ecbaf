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
        // Policy: three attempts. Each step fails a's and b's current attempt with the given output.
        var run = await CreateRunAsync(T("a"), T("b"));
        (string? A, string? B, bool Retryable)[] steps =
        [
            ("""{"a":1}""", """{"b":1}""", true),
            (null, """{"b":2}""", true),
            ("""{"a":3}""", null, false),
        ];
        (string? A, string? B)[] expected =
        [
            ("""{"a":1}""", """{"b":1}"""),
            ("""{"a":1}""", """{"b":2}"""),
            ("""{"a":3}""", """{"b":2}"""),
        ];

        for (var i = 0; i < steps.Length; i++)
        {
            Time.Advance(Policy.MaxDelay);
            var claimed = await ClaimAsync();
            await FailWithOutputAsync(claimed.Single(t => t.Name == "a"), steps[i].A, steps[i].Retryable);
            await FailWithOutputAsync(claimed.Single(t => t.Name == "b"), steps[i].B, steps[i].Retryable);

            var (a, b) = (await TaskByNameAsync(run.Id, "a"), await TaskByNameAsync(run.Id, "b"));
            Assert.That((a.OutputJson, b.OutputJson), Is.EqualTo(expected[i]), $"after failure {i + 1}");
            Assert.That((a.Status, b.Status), Is.EqualTo(i < 2 ? (TaskRunStatus.Retrying, TaskRunStatus.Retrying) : (TaskRunStatus.Failed, TaskRunStatus.Failed)));
        }
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
