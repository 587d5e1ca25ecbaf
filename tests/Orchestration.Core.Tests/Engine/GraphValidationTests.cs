using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Engine;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Engine;

public sealed class GraphValidationTests
{
    private static IOrchestrationClient NewClient()
    {
        var store = new InMemoryStore(new FakeTimeProvider());
        return new OrchestrationClient(store, store, Options.Create(new EngineOptions()));
    }

    private static TaskSpec T(string name, params string[] deps) => new() { Name = name, Type = "x", DependsOn = deps };

    [Test]
    public void CreateRun_UnknownDependency_RefusedNamingIt()
    {
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => NewClient().CreateRunAsync(new RunSpec { Tasks = [T("a", "ghost")] }));
        Assert.That(ex!.Message, Is.EqualTo("task 'a' depends on unknown task 'ghost'"));
        Assert.That(ex.Field, Is.EqualTo("dependencies"));
    }

    [Test]
    public void CreateRun_CycleOfTenThousandTasks_ErrorNamesFiveAndCountsTheRest()
    {
        const int n = 10_000;
        // t0 <- t1 <- ... <- t9999 <- t0: one cycle through every task.
        var tasks = Enumerable.Range(0, n).Select(i => T($"t{i}", $"t{(i + n - 1) % n}")).ToList();
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => NewClient().CreateRunAsync(new RunSpec { Tasks = tasks }));

        Assert.That(ex!.Message, Does.StartWith("dependency cycle: t0 -> t9999 -> t9998 -> t9997 -> t9996 -> ... and 9995 more tasks"));
        Assert.That(ex.Message.Length, Is.LessThan(200));
    }

    [Test]
    public void CreateRun_DuplicateName_Refused()
    {
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => NewClient().CreateRunAsync(new RunSpec { Tasks = [T("a"), T("a")] }));
        Assert.That(ex!.Message, Is.EqualTo("duplicate task name 'a'"));
    }

    [Test]
    public void CreateRun_Cycle_RefusedNamingTheCycle()
    {
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() =>
            NewClient().CreateRunAsync(new RunSpec { Tasks = [T("start"), T("a", "start", "c"), T("b", "a"), T("c", "b")] }));
        Assert.That(ex!.Message, Is.EqualTo("dependency cycle: a -> c -> b -> a"));
    }

    [Test]
    public void CreateRun_SelfDependency_Refused()
    {
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => NewClient().CreateRunAsync(new RunSpec { Tasks = [T("a", "a")] }));
        Assert.That(ex!.Message, Is.EqualTo("dependency cycle: a -> a"));
    }

    [Test]
    public void Validate_DeepChain_NoStackOverflowAndNoCycle()
    {
        var tasks = Enumerable.Range(0, 50_000).Select(i => ($"t{i}", (IReadOnlyList<string>)(i == 0 ? [] : [$"t{i - 1}"]))).ToList();

        Assert.DoesNotThrow(() => GraphValidator.Validate(tasks));
    }

    [Test]
    public async Task CreateRun_UnnamedTasks_NamedAfterTypeAndNumbered()
    {
        var client = NewClient();

        var run = await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Type = "resize" }, new TaskSpec { Type = "resize" }, new TaskSpec { Type = "mail" }] });

        var names = (await client.Queries.GetRunTasksAsync(run.Run.OrgId, run.Run.Id, CancellationToken.None)).Select(t => t.Name);
        Assert.That(names, Is.EqualTo(new[] { "resize", "resize-2", "mail" }));
    }

    [TestCase(null, "resize")]
    [TestCase(" ", "resize")]
    [TestCase("thumb", "thumb")]
    public async Task CreateRun_SingleTaskWithoutGraph_NamedAsInALargerRun(string? name, string expected)
    {
        var client = NewClient();

        var run = await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Type = "resize", Name = name }] });

        var task = (await client.Queries.GetRunTasksAsync(run.Run.OrgId, run.Run.Id, CancellationToken.None)).Single();
        Assert.That(task.Name, Is.EqualTo(expected));
    }

    [Test]
    public void CreateRun_SingleTaskDependingOnItself_StillRefusedAsACycle()
    {
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => NewClient().CreateRunAsync(new RunSpec { Tasks = [T("a", "a")] }));

        Assert.That(ex!.Message, Is.EqualTo("dependency cycle: a -> a"));
    }

    [Test]
    public void CreateRun_BadRetryPolicy_RefusedNamingTheField()
    {
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => NewClient().CreateRunAsync(new RunSpec
        {
            Tasks = [T("a") with { RetryPolicy = new Domain.RetryPolicy(3, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 2, 0) }],
        }));
        Assert.That(ex!.Message, Is.EqualTo("max_delay must be at least initial_delay"));
    }

    [Test]
    public void DelayBefore_Jitter_NeverAboveCapAndShortensAtMostByJitterFraction()
    {
        var policy = new Domain.RetryPolicy(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8), 2, 0.5);

        Assert.That(policy.DelayBefore(2, 0), Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(policy.DelayBefore(3, 0), Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(policy.DelayBefore(9, 0), Is.EqualTo(TimeSpan.FromSeconds(8)));
        Assert.That(policy.DelayBefore(9, 0.999), Is.GreaterThan(TimeSpan.FromSeconds(4)));
    }
}
