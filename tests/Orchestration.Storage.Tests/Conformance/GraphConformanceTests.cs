using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class GraphConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task CompleteTasks_LinearRun_PromotesAndCompletesRunWithEvents()
    {
        var run = await CreateRunAsync(T("a"), T("b", "a"));

        Assert.That(await CompleteAsync(await ClaimOneAsync("a"), """{"n":1}"""), Is.True);
        Assert.That((await TaskByNameAsync(run.Id, "b")).Status, Is.EqualTo(TaskRunStatus.Queued));
        Assert.That(await CompleteAsync(await ClaimOneAsync("b")), Is.True);

        var stored = await RunAsync(run.Id);
        Assert.That(stored.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(stored.CompletedAt, Is.EqualTo(Time.GetUtcNow()));
        Assert.That((stored.TotalTasks, stored.CompletedTasks, stored.FailedTasks), Is.EqualTo((2, 2, 0)));
        var events = await EventsAsync(run.Id);
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[]
        {
            EventTypes.RunCreated, EventTypes.RunStarted, EventTypes.TaskStarted, EventTypes.TaskCompleted,
            EventTypes.TaskStarted, EventTypes.TaskCompleted, EventTypes.RunCompleted,
        }));
        Assert.That(events.Select(e => e.Sequence), Is.Ordered.Ascending);
        Assert.That(events.Select(e => e.Sequence).Distinct().Count(), Is.EqualTo(events.Count));
    }

    [Test]
    public async Task CompleteTasks_DiamondUnderConcurrentCompletion_JoinPromotedOnce()
    {
        // Repeated so the two middle completions race in many interleavings.
        for (var i = 0; i < 15; i++)
        {
            var run = await CreateRunAsync(T("a"), T("b", "a"), T("c", "a"), T("d", "b", "c"));
            Assert.That(await CompleteAsync(await ClaimOneAsync("a")), Is.True);
            var middle = await ClaimAsync(max: 2);
            Assert.That(middle.Select(t => t.Name).Order(), Is.EqualTo(new[] { "b", "c" }));

            var results = await Task.WhenAll(middle.Select(t => Task.Run(() => CompleteAsync(t))));

            Assert.That(results, Is.All.True);
            var join = await ClaimAsync(max: 10);
            Assert.That(join.Select(t => t.Name), Is.EqualTo(new[] { "d" }), "the join must be promoted exactly once");
            Assert.That(await CompleteAsync(join[0]), Is.True);
            Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
            var starts = (await EventsAsync(run.Id)).Count(e => e.Type == EventTypes.TaskStarted && e.TaskId == join[0].Id);
            Assert.That(starts, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task FailTasks_PermanentFailure_SkipsDependentsAndIndependentBranchCompletes()
    {
        var run = await CreateRunAsync(T("a"), T("b", "a"), T("c", "b"), T("x"));

        var a = await ClaimOneAsync("a");
        var failed = await FailAsync(a, "disk full", retryable: false);

        Assert.That(failed.Status, Is.EqualTo(TaskRunStatus.Failed));
        Assert.That((await TaskByNameAsync(run.Id, "b")).Status, Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That((await TaskByNameAsync(run.Id, "c")).Status, Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Running), "the independent branch is still running");

        Assert.That(await CompleteAsync(await ClaimOneAsync("x")), Is.True);

        var stored = await RunAsync(run.Id);
        Assert.That(stored.Status, Is.EqualTo(RunStatus.Failed));
        Assert.That(JsonDefaults.ErrorMessage(stored.ErrorJson), Does.Contain("'a'"));
        Assert.That((stored.TotalTasks, stored.CompletedTasks, stored.FailedTasks), Is.EqualTo((4, 1, 1)));
        Assert.That(JsonDefaults.ErrorMessage((await TaskByNameAsync(run.Id, "a")).ErrorJson), Is.EqualTo("disk full"));
    }

    [Test]
    public async Task FailTasks_RetryDelays_FollowPolicy()
    {
        // Policy: 3 attempts, 10 s initial, factor 2, capped at 25 s, no jitter.
        var run = await CreateRunAsync(T("a"));

        var first = await ClaimOneAsync();
        var r1 = await FailAsync(first);
        var afterFirst = await TaskAsync(first.Id);
        Assert.That(r1.Status, Is.EqualTo(TaskRunStatus.Retrying));
        Assert.That(afterFirst.NotBefore, Is.EqualTo(Time.GetUtcNow() + TimeSpan.FromSeconds(10)));

        Time.Advance(TimeSpan.FromSeconds(9));
        Assert.That(await ClaimAsync(), Is.Empty, "claimed before its retry time");
        Time.Advance(TimeSpan.FromSeconds(1));
        var second = await ClaimOneAsync();
        Assert.That(second.Attempt, Is.EqualTo(2));

        await FailAsync(second);
        // 10 s × 2 = 20 s.
        Assert.That((await TaskAsync(first.Id)).NotBefore, Is.EqualTo(Time.GetUtcNow() + TimeSpan.FromSeconds(20)));
        Time.Advance(TimeSpan.FromSeconds(20));
        var third = await ClaimOneAsync();
        Assert.That(third.Attempt, Is.EqualTo(3));

        var last = await FailAsync(third);
        Assert.That(last.Status, Is.EqualTo(TaskRunStatus.Failed), "attempts are used up");
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Failed));
        var events = (await EventsAsync(run.Id)).Select(e => e.Type).ToList();
        Assert.That(events.Count(e => e == EventTypes.TaskRetrying), Is.EqualTo(2));
        Assert.That(events.Count(e => e == EventTypes.TaskFailed), Is.EqualTo(1));
    }

    [Test]
    public async Task FailTasks_LongBackoff_CappedAtMaxDelay()
    {
        var policy = new RetryPolicy(5, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(25), 3.0, 0);
        await Client.CreateRunAsync(new RunSpec { OrgId = Org, Tasks = [T("a") with { RetryPolicy = policy }] });

        var first = await ClaimOneAsync();
        await FailAsync(first);
        Time.Advance(TimeSpan.FromSeconds(10));
        var second = await ClaimOneAsync();
        await FailAsync(second);

        // 10 s × 3 = 30 s, capped at 25 s.
        Assert.That((await TaskAsync(first.Id)).NotBefore, Is.EqualTo(Time.GetUtcNow() + TimeSpan.FromSeconds(25)));
    }

    [Test]
    public async Task FailTasks_SuccessfulRetry_ClearsToCompleted()
    {
        var run = await CreateRunAsync(T("a"));
        await FailAsync(await ClaimOneAsync(), "flaky");
        Time.Advance(TimeSpan.FromSeconds(10));

        Assert.That(await CompleteAsync(await ClaimOneAsync(), """{"done":true}"""), Is.True);

        var task = await TaskByNameAsync(run.Id, "a");
        Assert.That(task.Status, Is.EqualTo(TaskRunStatus.Completed));
        Assert.That(task.Attempt, Is.EqualTo(2));
        Assert.That(task.ErrorJson, Is.Null);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task AddTask_ChildOfRunningTask_JoinsGraphAndRunWaitsForIt()
    {
        var run = await CreateRunAsync(T("parent"));
        var parent = await ClaimOneAsync("parent");

        var added = await Client.AddTaskAsync(Org, run.Id, T("child", "parent") with { ParentTaskId = parent.Id });
        Assert.That(added.Status, Is.EqualTo(AddTaskStatus.Added));
        Assert.That(added.Task!.Status, Is.EqualTo(TaskRunStatus.Pending));
        Assert.That(added.Task.ParentTaskId, Is.EqualTo(parent.Id));

        Assert.That(await CompleteAsync(parent), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Running), "the child is unfinished");
        Assert.That(await CompleteAsync(await ClaimOneAsync("child")), Is.True);
        Assert.That((await RunAsync(run.Id)).Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task AddTask_BadReferences_RefusedWithReason()
    {
        var run = await CreateRunAsync(T("a"));

        var unknownDep = await Client.AddTaskAsync(Org, run.Id, T("b", "nope"));
        var duplicate = await Client.AddTaskAsync(Org, run.Id, T("a"));
        var noRun = await Client.AddTaskAsync(Org, Guid.NewGuid(), T("b"));
        var otherOrg = await Client.AddTaskAsync(OtherOrg, run.Id, T("b"));
        var badParent = await Client.AddTaskAsync(Org, run.Id, T("b") with { ParentTaskId = Guid.NewGuid() });

        Assert.That(unknownDep.Status, Is.EqualTo(AddTaskStatus.UnknownDependency));
        Assert.That(unknownDep.Detail, Is.EqualTo("nope"));
        Assert.That(duplicate.Status, Is.EqualTo(AddTaskStatus.DuplicateName));
        Assert.That(noRun.Status, Is.EqualTo(AddTaskStatus.RunNotFound));
        Assert.That(otherOrg.Status, Is.EqualTo(AddTaskStatus.RunNotFound));
        Assert.That(badParent.Status, Is.EqualTo(AddTaskStatus.ParentNotFound));
        Assert.That((await Queries.GetRunTasksAsync(Org, run.Id, CancellationToken.None)), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task AddTask_FinishedManagedRun_Refused()
    {
        var run = await CreateRunAsync(T("a"));
        await CompleteAsync(await ClaimOneAsync());

        var added = await Client.AddTaskAsync(Org, run.Id, T("late"));

        Assert.That(added.Status, Is.EqualTo(AddTaskStatus.RunFinished));
    }

    [Test]
    public async Task AddTask_DependencyAlreadyFailed_NewTaskSkipped()
    {
        var run = await CreateRunAsync(T("a"), T("keep"));
        await FailAsync(await ClaimOneAsync("a"), retryable: false);

        var added = await Client.AddTaskAsync(Org, run.Id, T("after", "a"));

        Assert.That(added.Task!.Status, Is.EqualTo(TaskRunStatus.Skipped));
    }

    [Test]
    public async Task CreateRuns_Bulk_AllRunsAndTasksStored()
    {
        var specs = Enumerable.Range(0, 250).Select(i => new RunSpec { OrgId = Org, Name = $"r{i}", Tasks = [T("a"), T("b", "a")] }).ToList();

        var created = await Client.CreateRunsAsync(specs);

        Assert.That(created, Has.Count.EqualTo(250));
        Assert.That(created.All(c => c.Created), Is.True);
        var page = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Limit = 1000 }, CancellationToken.None);
        Assert.That(page.Total, Is.EqualTo(250));
        Assert.That(page.Items.All(r => r.TotalTasks == 2), Is.True);
        Assert.That(await ClaimAsync(max: 1000), Has.Count.EqualTo(250), "only the roots are ready");
    }
}
