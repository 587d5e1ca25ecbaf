using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Fairness between orgs at claim time: a claim is shared between the orgs with queued work by their weights (stride
/// scheduling, ties by org id, so every share below is exact), each org's share taken in its own claim order; what an
/// org cannot use goes to the others, so a lone org gets whole batches and the limits still hold.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class FairnessConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private const string Noisy = Org;
    private const string Quiet = OtherOrg;

    private static FairnessOptions Equal => new() { Enabled = true };

    private Task<IReadOnlyList<TaskRun>> ClaimFairlyAsync(int max, FairnessOptions fairness, string executor = "executor-1") =>
        Store.ClaimTasksAsync(new ClaimTasksParams
        {
            ExecutorId = executor,
            Max = max,
            LeaseDuration = LeaseLength,
            Fairness = fairness,
        }, CancellationToken.None);

    private async Task FloodAsync(string org, int count, string prefix, int priority = 0, int? maxConcurrency = null)
    {
        var result = await Client.CreateRunAsync(new RunSpec
        {
            OrgId = org,
            MaxConcurrency = maxConcurrency,
            Tasks = [.. Enumerable.Range(0, count).Select(i => new TaskSpec { Name = prefix + i, Type = "work", Priority = priority })],
        });
        Assert.That(result.Created, Is.True);
    }

    private static int CountOf(IEnumerable<TaskRun> tasks, string org) => tasks.Count(t => t.OrgId == org);

    [Test]
    public async Task ClaimTasks_OneOrgFloodsTheQueue_OtherOrgGetsHalfOfEveryClaimUntilDone()
    {
        await FloodAsync(Noisy, 200, "a");
        await FloodAsync(Quiet, 10, "b");

        var claims = new List<IReadOnlyList<TaskRun>>();
        for (var i = 0; i < 6; i++) claims.Add(await ClaimFairlyAsync(4, Equal));

        Assert.That(claims.Take(5).Select(c => CountOf(c, Quiet)), Is.All.EqualTo(2), "equal weights: two of every four slots");
        Assert.That(claims.All(c => c.Count == 4), Is.True, "the flooding org fills every slot the other cannot use");
        Assert.That(CountOf(claims[5], Quiet), Is.Zero, "all ten of the quiet org's tasks went in the first five claims");
        Assert.That(claims[0].Where(t => t.OrgId == Quiet).Select(t => t.Name), Is.EquivalentTo(new[] { "b0", "b1" }), "within an org, claim order");
    }

    [Test]
    public async Task ClaimTasks_FloodingOrgOfHigherPriority_DoesNotStarveTheOther()
    {
        await FloodAsync(Noisy, 50, "a", priority: 100);
        await FloodAsync(Quiet, 5, "b");

        var claimed = await ClaimFairlyAsync(10, Equal);

        Assert.That(CountOf(claimed, Quiet), Is.EqualTo(5), "priority orders an org's own tasks, not one org against another");
    }

    [Test]
    public async Task ClaimTasks_WeightsThreeToOne_EveryClaimSharedThreeToOne()
    {
        var fairness = new FairnessOptions { Enabled = true, Weights = { [Noisy] = 3 } };
        await FloodAsync(Noisy, 100, "a");
        await FloodAsync(Quiet, 100, "b");

        for (var i = 0; i < 8; i++)
        {
            var claimed = await ClaimFairlyAsync(4, fairness);
            Assert.That((CountOf(claimed, Noisy), CountOf(claimed, Quiet)), Is.EqualTo((3, 1)), $"claim {i}");
        }
    }

    [Test]
    public async Task ClaimTasks_SingleTaskClaims_AlternateBetweenOrgs()
    {
        await FloodAsync(Noisy, 20, "a");
        await FloodAsync(Quiet, 20, "b");

        var orgs = new List<string>();
        for (var i = 0; i < 6; i++) orgs.Add((await ClaimFairlyAsync(1, Equal)).Single().OrgId);

        Assert.That(orgs, Is.EqualTo(new[] { Noisy, Quiet, Noisy, Quiet, Noisy, Quiet }), "small claims are fair over time");
    }

    [Test]
    public async Task ClaimTasks_LoneOrg_GetsFullBatches()
    {
        await FloodAsync(Noisy, 50, "a");

        var sizes = new List<int>();
        for (var i = 0; i < 3; i++) sizes.Add((await ClaimFairlyAsync(20, Equal)).Count);

        Assert.That(sizes, Is.EqualTo(new[] { 20, 20, 10 }));
    }

    [Test]
    public async Task ClaimTasks_OtherOrgHeldByMaxConcurrency_ShareFilledAndLimitHeld()
    {
        await FloodAsync(Noisy, 50, "a");
        await FloodAsync(Quiet, 5, "b", maxConcurrency: 1);

        var first = await ClaimFairlyAsync(10, Equal);
        var second = await ClaimFairlyAsync(10, Equal);

        Assert.That((first.Count, CountOf(first, Quiet)), Is.EqualTo((10, 1)), "one slot for the limited run, the rest filled");
        Assert.That((second.Count, CountOf(second, Quiet)), Is.EqualTo((10, 0)), "the run is at its limit");
    }

    [Test]
    public async Task ClaimTasks_OtherOrgsKeyedTasks_KeyLimitHeldWithinItsShare()
    {
        var keyed = new OrchestrationClient(Store, Queries, Options.Create(new EngineOptions
        {
            DefaultRetryPolicy = Policy,
            KeyLimits = { new KeyLimit { Key = "customer:*", MaxRunning = 2 } },
        }));
        await FloodAsync(Noisy, 50, "a");
        await keyed.CreateRunAsync(new RunSpec
        {
            OrgId = Quiet,
            Tasks = [new TaskSpec { Name = "plain", Type = "work" },
                .. Enumerable.Range(0, 5).Select(i => new TaskSpec { Name = "k" + i, Type = "work", ConcurrencyKey = "customer:7" })],
        });

        var first = await ClaimFairlyAsync(10, Equal);
        var second = await ClaimFairlyAsync(10, Equal);

        Assert.That(first.Where(t => t.OrgId == Quiet).Select(t => t.Name), Is.EquivalentTo(new[] { "plain", "k0", "k1" }));
        Assert.That(first, Has.Count.EqualTo(10));
        Assert.That(CountOf(second, Quiet), Is.Zero, "the key is at its limit");
    }

    [Test]
    public async Task ClaimTasks_BothOrgsShareARateLimitedKey_StartsCountedAcrossSharesAndWindowHeld()
    {
        var rated = new OrchestrationClient(Store, Queries, Options.Create(new EngineOptions
        {
            DefaultRetryPolicy = Policy,
            // A key limited by its rate only: no limit on running tasks.
            KeyLimits = { new KeyLimit { Key = "api:*", MaxStarts = 2, Window = TimeSpan.FromMinutes(1) } },
        }));
        foreach (var (org, prefix) in new[] { (Noisy, "a"), (Quiet, "b") })
        {
            await rated.CreateRunAsync(new RunSpec
            {
                OrgId = org,
                Tasks = [.. Enumerable.Range(0, 10).Select(i => new TaskSpec { Name = $"{prefix}{i}", Type = "work" }),
                    .. Enumerable.Range(0, 3).Select(i => new TaskSpec { Name = $"{prefix}k{i}", Type = "work", ConcurrencyKey = "api:x" })],
            });
        }

        var first = await ClaimFairlyAsync(30, Equal);
        var second = await ClaimFairlyAsync(30, Equal);

        Assert.That(first.Count(t => t.Name.Contains('k', StringComparison.Ordinal)), Is.EqualTo(2), "two starts of the key in its window, whichever org's shares hold them");
        Assert.That(first.Count(t => !t.Name.Contains('k', StringComparison.Ordinal)), Is.EqualTo(20), "every task without a key");
        Assert.That(second, Is.Empty, "the window's starts were counted: nothing of the key until it rolls");
    }

    [Test]
    public async Task ClaimTasks_OrgReturnsAfterIdling_BanksNoCredit()
    {
        await FloodAsync(Noisy, 100, "a");
        await FloodAsync(Quiet, 2, "b");
        await FloodAsync("org-c", 100, "c");
        // The quiet org drains in the first two claims; the other two then share eight claims between them.
        for (var i = 0; i < 10; i++) await ClaimFairlyAsync(4, Equal);
        await FloodAsync(Quiet, 20, "d");

        var claimed = await ClaimFairlyAsync(6, Equal);

        Assert.That(CountOf(claimed, Quiet), Is.InRange(2, 3), "an org that comes back gets its share, not the slots it missed while idle");
    }

    [Test]
    public async Task ClaimTasks_FairnessOff_PlainClaimOrder()
    {
        await FloodAsync(Noisy, 20, "a");
        await FloodAsync(Quiet, 5, "b");

        var claimed = await ClaimFairlyAsync(10, new FairnessOptions { Enabled = false });

        Assert.That(CountOf(claimed, Quiet), Is.Zero, "oldest first, whatever the org");
    }
}
