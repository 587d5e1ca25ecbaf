using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Per-key concurrency limits: tasks sharing a concurrency key run at most the key's limit at once, counted from the
/// store's running tasks, so however a running task ends its slot is free again; a key at its limit holds back only its
/// own tasks.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class KeyLimitConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private IOrchestrationClient Keyed => new OrchestrationClient(Store, Queries, Options.Create(new EngineOptions
    {
        DefaultRetryPolicy = Policy,
        KeyLimits = { new KeyLimit { Key = "customer:*", MaxRunning = 2 }, new KeyLimit { Key = "single", MaxRunning = 1 } },
    }));

    private static TaskSpec ForCustomer(string name, int customer, int priority = 0) => new()
    {
        Name = name,
        Type = "work",
        Priority = priority,
        InputJson = $$"""{"customerId":{{customer}}}""",
        ConcurrencyKey = "customer:{$.customerId}",
    };

    private async Task<Run> CreateKeyedAsync(params TaskSpec[] tasks)
    {
        var result = await Keyed.CreateRunAsync(new RunSpec { OrgId = Org, Tasks = tasks });
        return result.Run;
    }

    [Test]
    public async Task ClaimTasks_KeyAtItsLimit_ClaimsNoMoreOfThatKey()
    {
        await CreateKeyedAsync([.. Enumerable.Range(0, 5).Select(i => ForCustomer("t" + i, 7))]);

        var first = await ClaimAsync();
        var second = await ClaimAsync();

        Assert.That(first.Select(t => t.Name), Is.EqualTo(new[] { "t0", "t1" }), "two slots, taken in claim order");
        Assert.That(second, Is.Empty, "the key is at its limit");
    }

    [Test]
    public async Task ClaimTasks_KeyAtItsLimitWithBacklog_OtherKeysAndUnkeyedTasksStillClaimed()
    {
        // The saturated key's tasks come first in claim order, far more of them than one claim reads.
        await CreateKeyedAsync([.. Enumerable.Range(0, 300).Select(i => ForCustomer("held" + i, 1, priority: 5))]);
        Assert.That(await ClaimAsync(max: 2), Has.Count.EqualTo(2));
        await CreateKeyedAsync(ForCustomer("other-key", 2), new TaskSpec { Name = "unkeyed", Type = "work" });

        var claimed = await ClaimAsync(max: 10);

        Assert.That(claimed.Select(t => t.Name), Is.EquivalentTo(new[] { "other-key", "unkeyed" }));
    }

    [Test]
    public async Task ClaimTasks_KeyedTaskOfHigherPriority_ClaimedBeforeUnkeyedWork()
    {
        await CreateRunAsync(T("plain-1"), T("plain-2"));
        await CreateKeyedAsync(ForCustomer("urgent", 3, priority: 9));

        var claimed = await ClaimAsync(max: 1);

        Assert.That(claimed.Single().Name, Is.EqualTo("urgent"), "a key limit must not demote its tasks below unkeyed work");
    }

    [Test]
    public async Task ClaimTasks_KeyedTaskOfOtherType_NotClaimedByTypeFilter()
    {
        await CreateKeyedAsync(new TaskSpec { Name = "gpu", Type = "gpu", ConcurrencyKey = "single" });

        Assert.That(await ClaimAsync(types: ["work"]), Is.Empty);
        Assert.That((await ClaimAsync(types: ["gpu"])).Single().Name, Is.EqualTo("gpu"));
    }

    [TestCase("completed")]
    [TestCase("failed for good")]
    [TestCase("failed to retry")]
    [TestCase("lease expired")]
    [TestCase("run cancelled")]
    [TestCase("released")]
    public async Task ClaimTasks_KeyedTaskLeavesRunning_NextOfThatKeyClaimable(string ending)
    {
        var first = await CreateKeyedAsync(new TaskSpec { Name = "a", Type = "work", ConcurrencyKey = "single" });
        await CreateKeyedAsync(new TaskSpec { Name = "b", Type = "work", ConcurrencyKey = "single" });
        var running = (await ClaimAsync(lease: TimeSpan.FromSeconds(5))).Single();
        Assert.That(await ClaimAsync(), Is.Empty, "the limit let a second one run");

        switch (ending)
        {
            case "completed": Assert.That(await CompleteAsync(running), Is.True); break;
            case "failed for good": Assert.That((await FailAsync(running, retryable: false)).Applied, Is.True); break;
            case "failed to retry": Assert.That((await FailAsync(running)).Applied, Is.True); break;
            case "lease expired":
                Time.Advance(TimeSpan.FromSeconds(6));
                Assert.That(await Store.ReleaseExpiredLeasesAsync(10, CancellationToken.None), Is.EqualTo(1));
                break;
            case "released": Assert.That(await Store.ReleaseTasksAsync([Lease(running)], CancellationToken.None), Is.EqualTo(1)); break;
            default: Assert.That(await Store.CancelRunAsync(Org, first.Id, CancellationToken.None), Is.EqualTo(RunCommandStatus.Applied)); break;
        }

        var next = await ClaimAsync();
        Assert.That(next, Has.Count.EqualTo(1), "the freed slot takes exactly one task");
        Assert.That(next[0].Name, Is.EqualTo(ending == "released" ? "a" : "b"), "the waiting task of the key, in claim order");
    }

    [Test]
    public async Task ClaimTasks_KeyedTaskRetrying_KeepsItsKeyWhenDue()
    {
        await CreateKeyedAsync(new TaskSpec { Name = "a", Type = "work", ConcurrencyKey = "single" });
        var running = (await ClaimAsync()).Single();
        Assert.That((await FailAsync(running)).Applied, Is.True);
        await CreateKeyedAsync(new TaskSpec { Name = "b", Type = "work", ConcurrencyKey = "single" });
        Assert.That((await ClaimAsync()).Single().Name, Is.EqualTo("b"), "the retrying task is not due yet");

        Time.Advance(Policy.InitialDelay + TimeSpan.FromSeconds(1));

        Assert.That(await ClaimAsync(), Is.Empty, "the due retry waits for the key's slot like any task of the key");
    }

    [Test]
    public async Task CompleteTasks_KeyHeldBack_SignalsWorkAvailable()
    {
        await CreateKeyedAsync(new TaskSpec { Name = "a", Type = "work", ConcurrencyKey = "single" });
        await CreateKeyedAsync(new TaskSpec { Name = "b", Type = "work", ConcurrencyKey = "single" });
        var running = (await ClaimAsync()).Single();
        Assert.That(await ClaimAsync(), Is.Empty);
        var version = Store.WorkAvailable.Version;

        await CompleteAsync(running);

        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version), "the freed key slot makes the held-back task claimable at once");
        Assert.That((await ClaimAsync()).Single().Name, Is.EqualTo("b"));
    }

    [Test]
    public async Task CompleteTasks_KeyHeldBackAndExitCodeReported_SignalsWorkAvailable()
    {
        // A completion that reports an exit code may take another path than the batch (Postgres: the routed one).
        await CreateKeyedAsync(new TaskSpec { Name = "a", Type = "work", ConcurrencyKey = "single" });
        await CreateKeyedAsync(new TaskSpec { Name = "b", Type = "work", ConcurrencyKey = "single" });
        var running = (await ClaimAsync()).Single();
        Assert.That(await ClaimAsync(), Is.Empty);
        var version = Store.WorkAvailable.Version;

        var written = await Store.CompleteTasksAsync([new TaskCompletion(new TaskLease(running.Id, running.LeaseToken!.Value), null) { ExitCode = 0 }], CancellationToken.None);

        Assert.That(written.Single().Applied, Is.True);
        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version), "the freed key slot makes the held-back task claimable at once");
        Assert.That((await ClaimAsync()).Single().Name, Is.EqualTo("b"));
    }

    [Test]
    public async Task CompleteTasks_KeyWithNothingWaiting_DoesNotSignal()
    {
        await CreateKeyedAsync(new TaskSpec { Name = "a", Type = "work", ConcurrencyKey = "single" });
        var running = (await ClaimAsync()).Single();
        var version = Store.WorkAvailable.Version;

        await CompleteAsync(running);

        Assert.That(Store.WorkAvailable.Version, Is.EqualTo(version), "nothing of the key waits: no wake-up for every executor");
    }

    [Test]
    public async Task ClaimTasks_ConcurrentClaimers_KeyLimitNeverExceeded()
    {
        await CreateKeyedAsync([.. Enumerable.Range(0, 40).Select(i => ForCustomer("t" + i, i % 4))]);

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => ClaimAsync(max: 3, executor: "executor-" + i))));

        var claimed = claims.SelectMany(c => c).ToList();
        Assert.That(claimed.Select(t => t.Id), Is.Unique);
        var running = (await Queries.GetRunTasksAsync(Org, claimed[0].RunId, CancellationToken.None)).Where(t => t.Status == TaskRunStatus.Running).ToList();
        Assert.That(running, Has.Count.EqualTo(8), "four keys, two slots each");
        Assert.That(running.GroupBy(t => t.InputJson).Select(g => g.Count()), Is.All.EqualTo(2));
    }

    [Test]
    public async Task CreateRun_KeyNoLimitMatches_TaskIsNotLimited()
    {
        await CreateKeyedAsync(new TaskSpec { Name = "a", Type = "work", ConcurrencyKey = "unlimited" }, new TaskSpec { Name = "b", Type = "work", ConcurrencyKey = "unlimited" });

        Assert.That(await ClaimAsync(), Has.Count.EqualTo(2));
    }
}
