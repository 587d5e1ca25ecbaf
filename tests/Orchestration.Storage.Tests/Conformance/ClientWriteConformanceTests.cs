using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// The rules of client-driven writes (AddTask, UpdateOpenRun, UpdateTaskByClient): a run belongs to the family that
/// created it, terminal is final, client status changes apply to open runs only, and a finished open run cancels its
/// unfinished work and takes no new tasks.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class ClientWriteConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private const string Foreman = "foreman";
    private const string Jobs = "jobs";

    private async Task<Run> CreateOpenRunAsync(string family = Foreman) =>
        (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, Family = family })).Run;

    private async Task<TaskRun> AddClientTaskAsync(Run run, string name)
    {
        var added = await Client.AddTaskAsync(Org, run.Family, run.Id, new TaskSpec { Name = name, Type = "work", Enqueue = false });
        Assert.That(added.Status, Is.EqualTo(AddTaskStatus.Added));
        return added.Task!;
    }

    private Task<RunCommandStatus> SetStatusAsync(TaskRun task, TaskRunStatus status, string? family = null, string? output = null) =>
        Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org, Family = family, TaskId = task.Id, Status = status, OutputJson = output });

    [Test]
    public async Task UpdateTaskByClient_TaskOfManagedRun_StatusRefusedAndNothingWritten()
    {
        var run = await CreateRunAsync(T("a"), T("b"));
        var a = await ClaimOneAsync("a");
        var b = await TaskByNameAsync(run.Id, "b");

        // Any caller, any family filter: the engine owns the status of a managed run's tasks.
        var complete = await SetStatusAsync(a, TaskRunStatus.Completed, output: """{"forged":true}""");
        var requeue = await SetStatusAsync(a, TaskRunStatus.Queued);
        var cancel = await SetStatusAsync(b, TaskRunStatus.Cancelled, family: "embedded");

        Assert.That((complete, requeue, cancel), Is.EqualTo((RunCommandStatus.InvalidState, RunCommandStatus.InvalidState, RunCommandStatus.InvalidState)));
        var stored = await TaskAsync(a.Id);
        Assert.That(stored.Status, Is.EqualTo(TaskRunStatus.Running));
        Assert.That(stored.OutputJson, Is.Null, "a refused update writes none of its fields");
        Assert.That(stored.LeaseToken, Is.EqualTo(a.LeaseToken));
        Assert.That((await TaskAsync(b.Id)).Status, Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await CompleteAsync(a), Is.True, "the executor still holds its lease");
    }

    [Test]
    public async Task UpdateTaskByClient_TaskOfManagedRun_MetadataStillApplies()
    {
        var run = await CreateRunAsync(T("a"));
        var a = await TaskByNameAsync(run.Id, "a");

        var outcome = await Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org, TaskId = a.Id, MetadataJson = """{"note":1}""" });

        Assert.That(outcome, Is.EqualTo(RunCommandStatus.Applied));
        var stored = await TaskAsync(a.Id);
        Assert.That(stored.MetadataJson, Does.Contain("note"));
        Assert.That(stored.Status, Is.EqualTo(TaskRunStatus.Queued));
    }

    [TestCase(TaskRunStatus.Completed)]
    [TestCase(TaskRunStatus.Failed)]
    [TestCase(TaskRunStatus.Cancelled)]
    public async Task UpdateTaskByClient_TaskInTerminalStatus_NeverLeavesIt(TaskRunStatus terminal)
    {
        var run = await CreateOpenRunAsync();
        var task = await AddClientTaskAsync(run, "a");
        Assert.That(await SetStatusAsync(task, terminal), Is.EqualTo(RunCommandStatus.Applied));
        var finished = await TaskAsync(task.Id);
        Time.Advance(TimeSpan.FromSeconds(1));

        foreach (var next in Enum.GetValues<TaskRunStatus>().Where(s => s != terminal))
            Assert.That(await SetStatusAsync(task, next, output: """{"x":1}"""), Is.EqualTo(RunCommandStatus.InvalidState), $"{terminal} -> {next}");
        var same = await SetStatusAsync(task, terminal);

        Assert.That(same, Is.EqualTo(RunCommandStatus.Applied), "setting the status a task already has changes nothing");
        var stored = await TaskAsync(task.Id);
        Assert.That(stored.Status, Is.EqualTo(terminal));
        Assert.That(stored.CompletedAt, Is.EqualTo(finished.CompletedAt));
        Assert.That(stored.OutputJson, Is.Null);
        Assert.That(await ClaimAsync(), Is.Empty);
        var run2 = await RunAsync(run.Id);
        Assert.That((run2.TotalTasks, run2.CompletedTasks + run2.FailedTasks), Is.EqualTo((1, terminal == TaskRunStatus.Cancelled ? 0 : 1)));
    }

    [Test]
    public async Task UpdateTaskByClient_SkippedTask_NeverLeavesIt()
    {
        var run = await CreateOpenRunAsync();
        var a = await AddClientTaskAsync(run, "a");
        await SetStatusAsync(a, TaskRunStatus.Failed);
        var after = (await Client.AddTaskAsync(Org, Foreman, run.Id, new TaskSpec { Name = "after", Type = "work", DependsOn = ["a"] })).Task!;
        Assert.That(after.Status, Is.EqualTo(TaskRunStatus.Skipped));

        Assert.That(await SetStatusAsync(after, TaskRunStatus.Queued), Is.EqualTo(RunCommandStatus.InvalidState));
        Assert.That(await SetStatusAsync(after, TaskRunStatus.Completed), Is.EqualTo(RunCommandStatus.InvalidState));
        Assert.That((await TaskAsync(after.Id)).Status, Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That(await ClaimAsync(), Is.Empty);
    }

    [Test]
    public async Task UpdateTaskByClient_RequeueAfterExecutorCompleted_RefusedAndTaskNeverRunsAgain()
    {
        var run = await CreateOpenRunAsync();
        var task = await AddClientTaskAsync(run, "a");
        await SetStatusAsync(task, TaskRunStatus.Queued);
        Assert.That(await CompleteAsync(await ClaimOneAsync("a"), """{"n":1}"""), Is.True);

        var requeue = await SetStatusAsync(task, TaskRunStatus.Queued);
        var claimed = await ClaimAsync();

        Assert.That(requeue, Is.EqualTo(RunCommandStatus.InvalidState));
        Assert.That(claimed, Is.Empty, "a completed task was claimed again");
        var attempts = await Queries.GetAttemptsAsync(Org, task.Id, CancellationToken.None);
        Assert.That(attempts.Select(x => x.Outcome), Is.EqualTo(new[] { AttemptOutcomes.Completed }));
        Assert.That((await TaskAsync(task.Id)).OutputJson, Does.Contain("1"));
    }

    [Test]
    public async Task ClientWrites_RunOfAnotherFamily_NotFoundAndNothingWritten()
    {
        var job = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Family = Jobs, Tasks = [T("exec")] })).Run;
        var jobTask = await TaskByNameAsync(job.Id, "exec");
        var jobsOpen = await CreateOpenRunAsync(Jobs);
        var ct = CancellationToken.None;

        var added = await Client.AddTaskAsync(Org, Foreman, job.Id, T("intruder"));
        var addedOpen = await Client.AddTaskAsync(Org, Foreman, jobsOpen.Id, T("intruder"));
        var taskUpdate = await Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org, Family = Foreman, TaskId = jobTask.Id, MetadataJson = """{"x":1}""" });
        var taskStatus = await SetStatusAsync(jobTask, TaskRunStatus.Cancelled, family: Foreman);
        var runUpdate = await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, Family = Foreman, RunId = jobsOpen.Id, Status = RunStatus.Cancelled, MetadataJson = "{}" });

        Assert.That((added.Status, addedOpen.Status), Is.EqualTo((AddTaskStatus.RunNotFound, AddTaskStatus.RunNotFound)));
        Assert.That((taskUpdate, taskStatus, runUpdate), Is.EqualTo((RunCommandStatus.NotFound, RunCommandStatus.NotFound, RunCommandStatus.NotFound)));
        Assert.That(await Queries.GetRunTasksAsync(Org, job.Id, ct), Has.Count.EqualTo(1));
        Assert.That(await Queries.GetRunTasksAsync(Org, jobsOpen.Id, ct), Is.Empty);
        Assert.That((await TaskAsync(jobTask.Id)).MetadataJson, Is.Null);
        var open = await RunAsync(jobsOpen.Id);
        Assert.That((open.Status, open.MetadataJson), Is.EqualTo((RunStatus.Pending, (string?)null)));
    }

    [Test]
    public async Task ClientWrites_OwnFamilyOrEveryFamily_Apply()
    {
        var run = await CreateOpenRunAsync();
        var managed = await CreateRunAsync(T("parent"));
        var parent = await ClaimOneAsync("parent");

        var own = await Client.AddTaskAsync(Org, Foreman, run.Id, T("a"));
        var update = await Client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org, Family = Foreman, TaskId = own.Task!.Id, Status = TaskRunStatus.Running });
        var runUpdate = await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, Family = Foreman, RunId = run.Id, Status = RunStatus.Running });
        // A running handler adds its child tasks without a family: the engine acts for every family.
        var child = await Client.AddTaskAsync(Org, managed.Id, T("child") with { ParentTaskId = parent.Id });

        Assert.That(own.Status, Is.EqualTo(AddTaskStatus.Added));
        Assert.That((update, runUpdate), Is.EqualTo((RunCommandStatus.Applied, RunCommandStatus.Applied)));
        Assert.That(child.Status, Is.EqualTo(AddTaskStatus.Added));
    }

    [Test]
    public async Task UpdateOpenRun_Cancelled_CancelsUnfinishedTasksAndTakesNoNewOnes()
    {
        var run = await CreateOpenRunAsync();
        var pending = await AddClientTaskAsync(run, "pending");
        var queued = await AddClientTaskAsync(run, "queued");
        var running = await AddClientTaskAsync(run, "running");
        var done = await AddClientTaskAsync(run, "done");
        await SetStatusAsync(running, TaskRunStatus.Queued);
        var held = await ClaimOneAsync("running");
        await SetStatusAsync(queued, TaskRunStatus.Queued);
        await SetStatusAsync(done, TaskRunStatus.Completed);
        var cancelVersion = Store.TasksCancelled.Version;
        Time.Advance(TimeSpan.FromSeconds(3));

        var outcome = await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, Family = Foreman, RunId = run.Id, Status = RunStatus.Cancelled });

        Assert.That(outcome, Is.EqualTo(RunCommandStatus.Applied));
        Assert.That(Store.TasksCancelled.Version, Is.GreaterThan(cancelVersion), "executors holding its tasks must be told");
        var tasks = (await Queries.GetRunTasksAsync(Org, run.Id, CancellationToken.None)).ToDictionary(t => t.Name, t => t.Status);
        Assert.That(tasks, Is.EquivalentTo(new Dictionary<string, TaskRunStatus>
        {
            ["pending"] = TaskRunStatus.Cancelled,
            ["queued"] = TaskRunStatus.Cancelled,
            ["running"] = TaskRunStatus.Cancelled,
            ["done"] = TaskRunStatus.Completed,
        }));
        Assert.That((await TaskAsync(pending.Id)).CompletedAt, Is.EqualTo(Time.GetUtcNow()));
        Assert.That(await ClaimAsync(), Is.Empty, "a task of a cancelled run was claimable");
        var heartbeat = await Store.HeartbeatTasksAsync(new HeartbeatTasksParams([Lease(held)], LeaseLength), CancellationToken.None);
        Assert.That(heartbeat[0].Outcome, Is.EqualTo(HeartbeatOutcome.Cancelled));
        Assert.That(await CompleteAsync(held), Is.False, "a late completion applied after the run was cancelled");

        var late = await Client.AddTaskAsync(Org, Foreman, run.Id, T("late"));
        var reopen = await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, RunId = run.Id, Status = RunStatus.Running });
        var output = await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, RunId = run.Id, Status = RunStatus.Cancelled, OutputJson = """{"why":"user"}""" });

        Assert.That(late.Status, Is.EqualTo(AddTaskStatus.RunFinished));
        Assert.That(reopen, Is.EqualTo(RunCommandStatus.InvalidState), "a finished open run was reopened");
        Assert.That(output, Is.EqualTo(RunCommandStatus.Applied));
        var stored = await RunAsync(run.Id);
        Assert.That((stored.Status, stored.TotalTasks), Is.EqualTo((RunStatus.Cancelled, 4)));
        Assert.That(stored.OutputJson, Does.Contain("user"));
    }

    [TestCase(RunStatus.Completed)]
    [TestCase(RunStatus.Failed)]
    public async Task UpdateOpenRun_OtherwiseFinished_CancelsUnfinishedTasksAndTakesNoNewOnes(RunStatus finished)
    {
        var run = await CreateOpenRunAsync();
        var queued = await AddClientTaskAsync(run, "queued");
        await SetStatusAsync(queued, TaskRunStatus.Queued);

        Assert.That(await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, RunId = run.Id, Status = finished }), Is.EqualTo(RunCommandStatus.Applied));

        Assert.That((await TaskAsync(queued.Id)).Status, Is.EqualTo(TaskRunStatus.Cancelled));
        Assert.That(await ClaimAsync(), Is.Empty);
        Assert.That((await Client.AddTaskAsync(Org, run.Id, T("late"))).Status, Is.EqualTo(AddTaskStatus.RunFinished));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(finished));
    }
}
