using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Engine;

public sealed class RouteValidationTests
{
    private static IOrchestrationClient NewClient()
    {
        var store = new InMemoryStore(new FakeTimeProvider());
        return new OrchestrationClient(store, store, Options.Create(new EngineOptions()));
    }

    private static TaskSpec T(string name, params TaskRoute[] routes) => new() { Name = name, Type = "x", Routes = routes };

    private static OrchestrationValidationException Refused(params TaskSpec[] tasks) =>
        Assert.ThrowsAsync<OrchestrationValidationException>(() => NewClient().CreateRunAsync(new RunSpec { Tasks = tasks }))!;

    [Test]
    public void CreateRun_RouteFromUnknownTask_RefusedNamingIt()
    {
        var ex = Refused(T("a"), T("b", new TaskRoute("ghost", RouteOn.Completed)));
        Assert.That(ex.Message, Is.EqualTo("task 'b' routes from unknown task 'ghost'"));
        Assert.That(ex.Field, Is.EqualTo("routes"));
    }

    [Test]
    public void CreateRun_ExitCodeRouteWithoutCodes_Refused()
    {
        var ex = Refused(T("a"), T("b", new TaskRoute("a", RouteOn.ExitCode)));
        Assert.That(ex.Message, Is.EqualTo("task 'b' routes on exit codes of 'a' without listing any"));
    }

    [Test]
    public void CreateRun_ExitCodeRouteWithEmptyList_Refused()
    {
        var ex = Refused(T("a"), T("b", new TaskRoute("a", RouteOn.ExitCode, [])));
        Assert.That(ex.Field, Is.EqualTo("routes"));
    }

    [Test]
    public void CreateRun_RoutesAndDependenciesOnOneTask_Refused()
    {
        var ex = Refused(T("a"), T("b", new TaskRoute("a", RouteOn.Failed)) with { DependsOn = ["a"] });
        Assert.That(ex.Message, Is.EqualTo("task 'b' has both dependencies and routes: give it one or the other"));
    }

    [Test]
    public void CreateRun_CycleThroughRoutes_RefusedNamingTheCycle()
    {
        var ex = Refused(T("a", new TaskRoute("b", RouteOn.Failed)), T("b", new TaskRoute("a", RouteOn.Completed)));
        Assert.That(ex.Message, Does.StartWith("dependency cycle: "));
        Assert.That(ex.Message, Does.Contain("a").And.Contain("b"));
    }

    [Test]
    public void CreateRun_SingleTaskRoutedFromItself_RefusedAsCycle()
    {
        var ex = Refused(T("a", new TaskRoute("a", RouteOn.Finished)));
        Assert.That(ex.Message, Is.EqualTo("dependency cycle: a -> a"));
    }

    [Test]
    public void CreateRun_UndefinedRouteOutcome_Refused()
    {
        var ex = Refused(T("a"), T("b", new TaskRoute("a", (RouteOn)42)));
        Assert.That(ex.Message, Does.Contain("unknown outcome"));
    }

    [Test]
    public void AddTask_WithRoutes_RefusedBecauseRoutesBelongToTheCreatedGraph()
    {
        var client = NewClient();
        var run = client.CreateRunAsync(new RunSpec { Tasks = [T("a")] }).GetAwaiter().GetResult().Run;

        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => client.AddTaskAsync(Org.DefaultId, run.Id, T("b", new TaskRoute("a", RouteOn.Completed))));
        Assert.That(ex!.Field, Is.EqualTo("routes"));
    }

    [Test]
    public async Task CreateRun_ValidRoutes_StoredOnTheTasks()
    {
        var client = NewClient();
        var run = (await client.CreateRunAsync(new RunSpec
        {
            Tasks = [T("a"), T("b", new TaskRoute("a", RouteOn.ExitCode, [2, 3]), new TaskRoute("a", RouteOn.Failed)) with { AllowFailure = true }],
        })).Run;

        var b = (await client.Queries.GetRunTasksAsync(Org.DefaultId, run.Id, CancellationToken.None)).Single(t => t.Name == "b");
        Assert.That(b.Routes.Select(r => (r.From, r.On)), Is.EqualTo(new[] { ("a", RouteOn.ExitCode), ("a", RouteOn.Failed) }));
        Assert.That(b.Routes[0].ExitCodes, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(b.AllowFailure, Is.True);
    }

    [TestCase(RouteOn.Completed, TaskRunStatus.Completed, false, true)]
    [TestCase(RouteOn.Completed, TaskRunStatus.Failed, true, true)]
    [TestCase(RouteOn.Completed, TaskRunStatus.Failed, false, false)]
    [TestCase(RouteOn.Completed, TaskRunStatus.Skipped, false, false)]
    [TestCase(RouteOn.Failed, TaskRunStatus.Failed, false, true)]
    [TestCase(RouteOn.Failed, TaskRunStatus.Failed, true, false)]
    [TestCase(RouteOn.Failed, TaskRunStatus.Cancelled, false, false)]
    [TestCase(RouteOn.Finished, TaskRunStatus.Skipped, false, true)]
    [TestCase(RouteOn.Finished, TaskRunStatus.Cancelled, false, true)]
    public void Matches_OutcomeOfSource_AsTheRulesSay(RouteOn on, TaskRunStatus status, bool allowFailure, bool expected) =>
        Assert.That(RouteRules.Matches(new TaskRoute("a", on), new RouteSource(status, null, allowFailure)), Is.EqualTo(expected));

    [Test]
    public void Decide_SourceStillRunning_Waits() =>
        Assert.That(RouteRules.Decide([new TaskRoute("a", RouteOn.Finished)], _ => new RouteSource(TaskRunStatus.Running, null, false)), Is.Null);

    [Test]
    public void Decide_ExitCodeOfSkippedSource_DoesNotMatch() =>
        Assert.That(RouteRules.Decide([new TaskRoute("a", RouteOn.ExitCode, [0])], _ => new RouteSource(TaskRunStatus.Skipped, 0, false)), Is.False);

    [Test]
    public void ToJson_RoundTrip_KeepsEveryField()
    {
        TaskRoute[] routes = [new("a", RouteOn.ExitCode, [1, 2]), new("b", RouteOn.Finished)];
        var back = RouteRules.FromJson(RouteRules.ToJson(routes));
        Assert.That(back.Select(r => (r.From, r.On)), Is.EqualTo(routes.Select(r => (r.From, r.On))));
        Assert.That(back[0].ExitCodes, Is.EqualTo(new[] { 1, 2 }));
        Assert.That(back[1].ExitCodes, Is.Null);
        Assert.That(RouteRules.ToJson([]), Is.Null);
    }
}
