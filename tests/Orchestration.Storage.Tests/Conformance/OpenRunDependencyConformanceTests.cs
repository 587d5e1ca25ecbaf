using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>A client finishing a task of an open run moves its dependents exactly as an executor's write would.</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class OpenRunDependencyConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private const string Family = "foreman";

    [Test]
    public async Task UpdateTaskByClient_CompletedOnOpenRun_PromotesDependentOnce()
    {
        var (run, a) = await OpenRunWithAsync("a");
        var b = await AddAsync(run, "b", "a");
        var c = await AddAsync(run, "c", "a", "b");
        Assert.That((await TaskAsync(b.Id)).Status, Is.EqualTo(TaskRunStatus.Pending));

        Assert.That(await SetAsync(a, TaskRunStatus.Completed), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That((await TaskAsync(b.Id)).Status, Is.EqualTo(TaskRunStatus.Queued), "its last dependency completed");
        Assert.That((await TaskAsync(c.Id)).Status, Is.EqualTo(TaskRunStatus.Pending), "c still waits on b");
        var claimed = await ClaimOneAsync("b");
        await CompleteAsync(claimed);
        Assert.That((await TaskAsync(c.Id)).Status, Is.EqualTo(TaskRunStatus.Queued));
    }

    [Test]
    public async Task UpdateTaskByClient_FailedOnOpenRun_SkipsDependentsTransitively()
    {
        var (run, a) = await OpenRunWithAsync("a");
        var b = await AddAsync(run, "b", "a");
        var c = await AddAsync(run, "c", "b");
        var independent = await AddAsync(run, "d");

        Assert.That(await SetAsync(a, TaskRunStatus.Failed), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That((await TaskAsync(b.Id)).Status, Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That((await TaskAsync(c.Id)).Status, Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That((await TaskAsync(independent.Id)).Status, Is.EqualTo(TaskRunStatus.Queued));
        var skipped = (await EventsAsync(run.Id)).Where(e => e.Type == EventTypes.TaskSkipped).Select(e => e.TaskId);
        Assert.That(skipped, Is.EquivalentTo(new Guid?[] { b.Id, c.Id }));
        Assert.That((await RunAsync(run.Id)).Status, Is.Not.EqualTo(RunStatus.Failed), "an open run's status is the client's");
    }

    private async Task<(Run Run, TaskRun A)> OpenRunWithAsync(string first)
    {
        var run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, Family = Family })).Run;
        // The first task stays pending until the client moves it, as Foreman tasks do.
        var a = (await Client.AddTaskAsync(Org, Family, run.Id, new TaskSpec { Name = first, Type = "work", Enqueue = false })).Task!;
        return (run, a);
    }

    private async Task<TaskRun> AddAsync(Run run, string name, params string[] dependsOn)
    {
        var added = await Client.AddTaskAsync(Org, Family, run.Id, new TaskSpec { Name = name, Type = "work", DependsOn = dependsOn });
        Assert.That(added.Task, Is.Not.Null, added.Detail);
        return added.Task!;
    }

    private Task<RunCommandStatus> SetAsync(TaskRun task, TaskRunStatus status) =>
        Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org, TaskId = task.Id, Status = status, Family = Family });
}
