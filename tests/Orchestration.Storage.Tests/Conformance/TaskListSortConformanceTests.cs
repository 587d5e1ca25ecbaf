using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>Tasks ordered by creation, start and completion time (Foreman's <c>sortBy</c>/<c>sortOrder</c> on the task list).</summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class TaskListSortConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private Run _run = null!;

    [SetUp]
    public async Task CreateRun() => _run = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, Family = "foreman" })).Run;

    private async Task<Guid> TaskAsync(string name, params TaskRunStatus[] statuses)
    {
        var task = (await Client.AddTaskAsync(Org, _run.Id, new TaskSpec { Name = name, Type = "work", Enqueue = false })).Task!;
        Time.Advance(TimeSpan.FromSeconds(1));
        foreach (var status in statuses)
        {
            Assert.That(await Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org, TaskId = task.Id, Status = status }), Is.EqualTo(RunCommandStatus.Applied));
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        return task.Id;
    }

    private async Task<Guid[]> IdsAsync(TaskSortField sort, bool descending) =>
        (await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, RunId = _run.Id, SortBy = sort, Descending = descending }, CancellationToken.None)).Items.Select(t => t.Id).ToArray();

    [Test]
    public async Task ListTasks_SortFields_OrderAsAskedWithoutTheTimeLast()
    {
        var pending = await TaskAsync("pending");
        var started = await TaskAsync("started", TaskRunStatus.Running);
        var done = await TaskAsync("done", TaskRunStatus.Running, TaskRunStatus.Completed);
        var later = await TaskAsync("later", TaskRunStatus.Running);

        Assert.That(await IdsAsync(TaskSortField.CreatedAt, descending: false), Is.EqualTo(new[] { pending, started, done, later }), "the default order");
        Assert.That(await IdsAsync(TaskSortField.CreatedAt, descending: true), Is.EqualTo(new[] { later, done, started, pending }));
        Assert.That(await IdsAsync(TaskSortField.StartedAt, descending: true), Is.EqualTo(new[] { later, done, started, pending }));
        Assert.That(await IdsAsync(TaskSortField.StartedAt, descending: false), Is.EqualTo(new[] { started, done, later, pending }));
        Assert.That((await IdsAsync(TaskSortField.CompletedAt, descending: false))[0], Is.EqualTo(done));
    }
}
