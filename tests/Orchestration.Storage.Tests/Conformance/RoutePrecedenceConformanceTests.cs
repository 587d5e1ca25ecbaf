using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Exit codes before outcomes: a Completed or Failed route with <see cref="TaskRoute.UnlessExitCodes"/> gives way when
/// its source ended with one of those codes (the exit-code route of that code runs instead), and matches as usual on
/// any other code or none. Formicary's <c>on_exit_code</c> taking precedence over <c>on_completed</c> / <c>on_failed</c>.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RoutePrecedenceConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static readonly int[] Taken = [3];

    private static TaskSpec R(string name, params TaskRoute[] routes) => new() { Name = name, Type = "work", Routes = routes };

    // a's outcome edges give way to its exit code 3, which leads to "three".
    private Task<Run> CreateGraphAsync() => CreateRunAsync(
        T("a"),
        R("three", new TaskRoute("a", RouteOn.ExitCode, Taken)),
        R("next", new TaskRoute("a", RouteOn.Completed) { UnlessExitCodes = Taken }),
        R("cleanup", new TaskRoute("a", RouteOn.Failed) { UnlessExitCodes = Taken }));

    private async Task<TaskRunStatus> StatusAsync(Guid runId, string name) => (await TaskByNameAsync(runId, name)).Status;

    [Test]
    public async Task CreateRun_RouteWithUnlessExitCodes_StoredAndReadBack()
    {
        var run = await CreateGraphAsync();

        var next = await TaskByNameAsync(run.Id, "next");
        Assert.That(next.Routes.Single().UnlessExitCodes, Is.EqualTo(Taken));
        Assert.That((await TaskByNameAsync(run.Id, "three")).Routes.Single().UnlessExitCodes, Is.Null);
    }

    [Test]
    public async Task CompleteTasks_ExitCodeTakenByAnExitCodeRoute_OnlyThatBranchRunsCompletedRouteSkipped()
    {
        var run = await CreateGraphAsync();

        var a = await ClaimOneAsync("a");
        Assert.That((await Store.CompleteTasksAsync([new TaskCompletion(Lease(a), null) { ExitCode = 3 }], CancellationToken.None))[0].Applied, Is.True);

        Assert.That(await StatusAsync(run.Id, "three"), Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await StatusAsync(run.Id, "next"), Is.EqualTo(TaskRunStatus.Skipped), "the exit code's branch runs instead of on_completed");
        Assert.That(await StatusAsync(run.Id, "cleanup"), Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That(await CompleteAsync(await ClaimOneAsync("three")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task CompleteTasks_ExitCodeNoRouteTakes_CompletedRouteRuns()
    {
        var run = await CreateGraphAsync();

        var a = await ClaimOneAsync("a");
        Assert.That((await Store.CompleteTasksAsync([new TaskCompletion(Lease(a), null) { ExitCode = 0 }], CancellationToken.None))[0].Applied, Is.True);

        Assert.That(await StatusAsync(run.Id, "next"), Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await StatusAsync(run.Id, "three"), Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That(await StatusAsync(run.Id, "cleanup"), Is.EqualTo(TaskRunStatus.Skipped));
    }

    [Test]
    public async Task CompleteTasks_NoExitCodeReported_CompletedRouteRuns()
    {
        var run = await CreateGraphAsync();

        Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);

        Assert.That(await StatusAsync(run.Id, "next"), Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await StatusAsync(run.Id, "three"), Is.EqualTo(TaskRunStatus.Skipped));
    }

    [Test]
    public async Task FailTasks_ExitCodeTakenByAnExitCodeRoute_OnlyThatBranchRunsFailedRouteSkippedRunFails()
    {
        var run = await CreateGraphAsync();

        var a = await ClaimOneAsync("a");
        await Store.FailTasksAsync([new TaskFailure(Lease(a), JsonDefaults.ErrorJson("boom"), false) { ExitCode = 3 }], CancellationToken.None);

        Assert.That(await StatusAsync(run.Id, "three"), Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await StatusAsync(run.Id, "cleanup"), Is.EqualTo(TaskRunStatus.Skipped), "the exit code's branch runs instead of on_failed");
        Assert.That(await StatusAsync(run.Id, "next"), Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That(await CompleteAsync(await ClaimOneAsync("three")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed), "the failure still fails the run");
    }

    [Test]
    public async Task FailTasks_ExitCodeNoRouteTakes_FailedRouteRuns()
    {
        var run = await CreateGraphAsync();

        var a = await ClaimOneAsync("a");
        await Store.FailTasksAsync([new TaskFailure(Lease(a), JsonDefaults.ErrorJson("boom"), false) { ExitCode = 1 }], CancellationToken.None);

        Assert.That(await StatusAsync(run.Id, "cleanup"), Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await StatusAsync(run.Id, "three"), Is.EqualTo(TaskRunStatus.Skipped));
    }

    [Test]
    public void CreateRun_UnlessExitCodesOnAnExitCodeRoute_Refused()
    {
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => CreateRunAsync(
            T("a"), R("b", new TaskRoute("a", RouteOn.ExitCode, Taken) { UnlessExitCodes = [4] })));

        Assert.That(ex!.Message, Does.Contain("only Completed and Failed routes take them"));
    }
}
