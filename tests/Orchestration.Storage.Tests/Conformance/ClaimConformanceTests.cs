using System.Collections.Concurrent;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class ClaimConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task ClaimTasks_ConcurrentClaimers_EveryTaskClaimedExactlyOnce()
    {
        var specs = Enumerable.Range(0, 300).Select(i => new RunSpec { OrgId = Org, Tasks = [T("only")] }).ToList();
        var created = await Client.CreateRunsAsync(specs);
        var expected = new HashSet<Guid>();
        foreach (var r in created) expected.Add((await Queries.GetRunTasksAsync(Org, r.Run.Id, CancellationToken.None)).Single().Id);

        var seen = new ConcurrentBag<Guid>();
        var claimers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            while (true)
            {
                var batch = await ClaimAsync(max: 7, executor: $"executor-{i}");
                if (batch.Count == 0) return;
                foreach (var t in batch) seen.Add(t.Id);
            }
        }));
        await Task.WhenAll(claimers);

        Assert.That(seen, Has.Count.EqualTo(expected.Count), "a task was claimed twice or not at all");
        Assert.That(seen.ToHashSet().SetEquals(expected), Is.True);
    }

    [Test]
    public async Task ClaimTasks_MixedPriorities_HigherPriorityFirstThenOldest()
    {
        var low = await CreateRunAsync(new TaskSpec { Name = "low", Type = "work", Priority = 0 });
        Time.Advance(TimeSpan.FromSeconds(1));
        var high1 = await CreateRunAsync(new TaskSpec { Name = "high1", Type = "work", Priority = 10 });
        Time.Advance(TimeSpan.FromSeconds(1));
        var high2 = await CreateRunAsync(new TaskSpec { Name = "high2", Type = "work", Priority = 10 });
        var mid = await CreateRunAsync(new TaskSpec { Name = "mid", Type = "work", Priority = 5 });

        var order = new List<string>();
        for (var i = 0; i < 4; i++) order.Add((await ClaimOneAsync()).Name);

        Assert.That(order, Is.EqualTo(new[] { "high1", "high2", "mid", "low" }));
        _ = (low, high1, high2, mid);
    }

    [Test]
    public async Task ClaimTasks_SameMillisecond_OlderTaskFirst()
    {
        // Many tasks created at the same instant: insertion order decides, not id order.
        var names = Enumerable.Range(0, 50).Select(i => $"t{i:D2}").ToList();
        foreach (var n in names) await CreateRunAsync(T(n));

        var claimed = await ClaimAsync(max: 50);

        Assert.That(claimed.Select(t => t.Name), Is.EqualTo(names));
    }

    [Test]
    public async Task ClaimTasks_TypeAndOrgFilters_OnlyMatchingTasks()
    {
        await Client.CreateRunAsync(new RunSpec { OrgId = Org, Tasks = [new TaskSpec { Name = "a", Type = "resize" }] });
        await Client.CreateRunAsync(new RunSpec { OrgId = Org, Tasks = [new TaskSpec { Name = "b", Type = "email" }] });
        await Client.CreateRunAsync(new RunSpec { OrgId = OtherOrg, Tasks = [new TaskSpec { Name = "c", Type = "resize" }] });

        var resizeOfOrg = await ClaimAsync(types: ["resize"], org: Org);
        var anyOfOther = await ClaimAsync(org: OtherOrg);
        var rest = await ClaimAsync();

        Assert.That(resizeOfOrg.Select(t => t.Name), Is.EqualTo(new[] { "a" }));
        Assert.That(anyOfOther.Select(t => t.Name), Is.EqualTo(new[] { "c" }));
        Assert.That(rest.Select(t => t.Name), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public async Task ClaimTasks_FamilyFilter_OnlyTasksOfThatFamilysRuns()
    {
        await Client.CreateRunAsync(new RunSpec { OrgId = Org, Family = "jobs", Tasks = [T("a")] });
        await Client.CreateRunAsync(new RunSpec { OrgId = Org, Tasks = [T("b")] });

        var ofJobs = await ClaimFamilyAsync("jobs");
        var ofOther = await ClaimFamilyAsync("other");
        var rest = await ClaimAsync();

        Assert.That(ofJobs.Select(t => t.Name), Is.EqualTo(new[] { "a" }));
        Assert.That(ofOther, Is.Empty);
        Assert.That(rest.Select(t => t.Name), Is.EqualTo(new[] { "b" }));
    }

    private Task<IReadOnlyList<TaskRun>> ClaimFamilyAsync(string family) =>
        Store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "executor-1", Types = [], Family = family, Max = 10, LeaseDuration = LeaseLength }, CancellationToken.None);

    [Test]
    public async Task ClaimTasks_RunMaxConcurrency_NeverExceeded()
    {
        var result = await Client.CreateRunAsync(new RunSpec { OrgId = Org, MaxConcurrency = 2, Tasks = [T("a"), T("b"), T("c"), T("d")] });

        var first = await ClaimAsync(max: 10);
        var second = await ClaimAsync(max: 10);
        Assert.That(first, Has.Count.EqualTo(2));
        Assert.That(second, Is.Empty);

        Assert.That(await CompleteAsync(first[0]), Is.True);
        var third = await ClaimAsync(max: 10);
        Assert.That(third, Has.Count.EqualTo(1));
        _ = result;
    }

    [Test]
    public async Task ClaimTasks_TypeLimit_CountsRunningTasksOfEveryExecutor()
    {
        for (var i = 0; i < 5; i++) await CreateRunAsync(new TaskSpec { Name = "x", Type = "gpu" });
        var limits = new Dictionary<string, int> { ["gpu"] = 2 };

        var byOne = await ClaimAsync(max: 10, executor: "one", typeLimits: limits);
        var byTwo = await ClaimAsync(max: 10, executor: "two", typeLimits: limits);

        Assert.That(byOne, Has.Count.EqualTo(2));
        Assert.That(byTwo, Is.Empty);
    }

    [Test]
    public async Task ClaimTasks_Claimed_RunningWithLeaseAttemptAndStartedRun()
    {
        var run = await CreateRunAsync(T("a"));

        var task = await ClaimOneAsync("a");

        Assert.That(task.Status, Is.EqualTo(TaskRunStatus.Running));
        Assert.That(task.Attempt, Is.EqualTo(1));
        Assert.That(task.LeaseToken, Is.Not.Null);
        Assert.That(task.LeaseExpiresAt, Is.EqualTo(Time.GetUtcNow() + LeaseLength));
        Assert.That(task.ExecutorId, Is.EqualTo("executor-1"));
        Assert.That(task.StartedAt, Is.EqualTo(Time.GetUtcNow()));
        var stored = await RunAsync(run.Id);
        Assert.That(stored.Status, Is.EqualTo(RunStatus.Running));
        Assert.That(stored.StartedAt, Is.EqualTo(Time.GetUtcNow()));
        var attempts = await Queries.GetAttemptsAsync(Org, task.Id, CancellationToken.None);
        Assert.That(attempts, Has.Count.EqualTo(1));
        Assert.That(attempts[0].ExecutorId, Is.EqualTo("executor-1"));
        Assert.That(attempts[0].ExecutorIp, Is.EqualTo("10.0.0.7"));
        Assert.That(attempts[0].EndedAt, Is.Null);
    }

    [Test]
    public async Task ClaimTasks_MaxZero_ClaimsNothingAndTaskStaysQueued()
    {
        var run = await CreateRunAsync(T("a"));

        Assert.That(await ClaimAsync(max: 0), Is.Empty);
        Assert.That((await TaskByNameAsync(run.Id, "a")).Status, Is.EqualTo(TaskRunStatus.Queued));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Pending));
    }

    [Test]
    public async Task ClaimTasks_DependentsNotReady_NotClaimable()
    {
        await CreateRunAsync(T("a"), T("b", "a"));

        var claimed = await ClaimAsync(max: 10);

        Assert.That(claimed.Select(t => t.Name), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public async Task ClaimTasks_NewRun_SignalsWorkAvailable()
    {
        var version = Store.WorkAvailable.Version;

        await CreateRunAsync(T("a"));

        Assert.That(Store.WorkAvailable.Version, Is.GreaterThan(version));
    }
}
