using Microsoft.Extensions.Options;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Per-key rate limits ("at most M starts per window", fixed windows aligned to the Unix epoch) and limits carried by the
/// task itself: enforced when tasks are claimed, counted by the store, and a key held back by its rate wakes workers when
/// its window rolls. The suite's clock starts on a whole minute, so a one-minute window starts with the test.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RateLimitConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private IOrchestrationClient Limited => new OrchestrationClient(Store, Queries, Options.Create(new EngineOptions
    {
        DefaultRetryPolicy = Policy,
        KeyLimits =
        {
            new KeyLimit { Key = "api:*", MaxStarts = 3, Window = Minute },
            new KeyLimit { Key = "both", MaxRunning = 1, MaxStarts = 2, Window = Minute },
            new KeyLimit { Key = "customer:*", MaxRunning = 2 },
        },
    }));

    private async Task CreateAsync(string key, int count, string prefix = "t", int? ownLimit = null, int priority = 0)
    {
        var tasks = Enumerable.Range(0, count)
            .Select(i => new TaskSpec { Name = prefix + i, Type = "work", Priority = priority, ConcurrencyKey = key, ConcurrencyLimit = ownLimit })
            .ToArray();
        await Limited.CreateRunAsync(new RunSpec { OrgId = Org, Tasks = tasks });
    }

    private async Task CompleteAllAsync(IEnumerable<Domain.TaskRun> tasks)
    {
        foreach (var t in tasks) Assert.That(await CompleteAsync(t), Is.True);
    }

    [Test]
    public async Task ClaimTasks_KeyWithRate_StartsAtMostMaxStartsPerWindow()
    {
        await CreateAsync("api:x", 5);

        var first = await ClaimAsync(max: 10);
        await CompleteAllAsync(first);
        var second = await ClaimAsync(max: 10);

        Assert.That(first.Select(t => t.Name), Is.EqualTo(new[] { "t0", "t1", "t2" }), "three starts per window, in claim order");
        Assert.That(second, Is.Empty, "the window's starts are used up, although nothing of the key runs");
    }

    [Test]
    public async Task ClaimTasks_RateWindowRolls_NextWindowAdmitsMore()
    {
        await CreateAsync("api:x", 8);
        await CompleteAllAsync(await ClaimAsync(max: 10));
        Time.Advance(TimeSpan.FromSeconds(59));
        Assert.That(await ClaimAsync(max: 10), Is.Empty, "still the first window");

        Time.Advance(TimeSpan.FromSeconds(1));
        var next = await ClaimAsync(max: 10);

        Assert.That(next.Select(t => t.Name), Is.EqualTo(new[] { "t3", "t4", "t5" }), "the next window starts the count again");
    }

    [Test]
    public async Task ClaimTasks_RateUsedUp_WakesWorkersWhenTheWindowRolls()
    {
        await CreateAsync("api:x", 4);
        Assert.That(await ClaimAsync(max: 10), Has.Count.EqualTo(3));
        var version = Store.WorkAvailable.Version;

        Time.Advance(TimeSpan.FromSeconds(30));
        Assert.That(Store.WorkAvailable.Version, Is.EqualTo(version), "nothing became claimable before the window ends");
        Time.Advance(TimeSpan.FromSeconds(30));

        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version), "the held-back task became claimable when the window rolled");
        Assert.That((await ClaimAsync(max: 10)).Single().Name, Is.EqualTo("t3"));
    }

    [Test]
    public async Task ClaimTasks_KeyHeldBackByRate_OtherKeysAndUnkeyedTasksStillClaimed()
    {
        // The held key's tasks come first in claim order, far more of them than one claim reads.
        await CreateAsync("api:held", 300, "held", priority: 5);
        Assert.That(await ClaimAsync(max: 3), Has.Count.EqualTo(3));
        await CreateAsync("api:other", 1, "other");
        await CreateRunAsync(new TaskSpec { Name = "unkeyed", Type = "work" });

        var claimed = await ClaimAsync(max: 10);

        Assert.That(claimed.Select(t => t.Name), Is.EquivalentTo(new[] { "other0", "unkeyed" }));
    }

    [Test]
    public async Task ClaimTasks_RateAndMaxRunning_BothMustHaveRoom()
    {
        await CreateAsync("both", 3);

        var first = await ClaimAsync(max: 10);
        Assert.That(first.Select(t => t.Name), Is.EqualTo(new[] { "t0" }), "one may run at once");
        await CompleteAllAsync(first);
        var second = await ClaimAsync(max: 10);
        Assert.That(second.Select(t => t.Name), Is.EqualTo(new[] { "t1" }), "a free slot and a start left");
        await CompleteAllAsync(second);
        Assert.That(await ClaimAsync(max: 10), Is.Empty, "a free slot, but the window's two starts are used");

        Time.Advance(Minute);

        Assert.That((await ClaimAsync(max: 10)).Select(t => t.Name), Is.EqualTo(new[] { "t2" }));
    }

    [Test]
    public async Task ClaimTasks_RateOnlyKey_DoesNotLimitRunningTasks()
    {
        await CreateAsync("api:y", 3);

        Assert.That(await ClaimAsync(max: 10), Has.Count.EqualTo(3), "a rate entry limits starts, not how many run at once");
    }

    [Test]
    public async Task ClaimTasks_TaskCarriedLimitWithoutHostEntry_Enforced()
    {
        await CreateAsync("tenant:9", 4, ownLimit: 2);

        var first = await ClaimAsync(max: 10);
        Assert.That(first.Select(t => t.Name), Is.EqualTo(new[] { "t0", "t1" }));
        Assert.That(await ClaimAsync(max: 10), Is.Empty, "the task's own limit holds the key at two");
        await CompleteAllAsync(first.Take(1));

        Assert.That((await ClaimAsync(max: 10)).Select(t => t.Name), Is.EqualTo(new[] { "t2" }));
    }

    [TestCase(1, 1)]
    [TestCase(5, 2)]
    public async Task ClaimTasks_TaskCarriedAndHostLimit_LowerApplies(int ownLimit, int expected)
    {
        // customer:* allows two at once.
        await CreateAsync("customer:4", 6, ownLimit: ownLimit);

        Assert.That(await ClaimAsync(max: 10), Has.Count.EqualTo(expected));
    }

    [Test]
    public async Task ClaimTasks_TaskCarriedLimitWithRateEntry_BothApply()
    {
        await CreateAsync("api:z", 5, ownLimit: 1);

        var first = await ClaimAsync(max: 10);
        Assert.That(first, Has.Count.EqualTo(1), "the task's limit of one running");
        await CompleteAllAsync(first);
        await CompleteAllAsync(await ClaimAsync(max: 10));
        await CompleteAllAsync(await ClaimAsync(max: 10));

        Assert.That(await ClaimAsync(max: 10), Is.Empty, "the entry's three starts per window");
    }
}
