using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Engine;

/// <summary>
/// What the engine client refuses before anything is written (each refusal names its field, so the HTTP families can
/// answer a 400 that says what to fix), and how it fills in what a spec leaves out.
/// </summary>
public sealed class ClientValidationTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static (OrchestrationClient Client, InMemoryStore Store, FakeTimeProvider Time) NewClient(EngineOptions? options = null)
    {
        var time = new FakeTimeProvider(Start);
        var store = new InMemoryStore(time);
        return (new OrchestrationClient(store, store, Options.Create(options ?? new EngineOptions()), time), store, time);
    }

    private static TaskSpec Task(string name, string type = "work") => new() { Name = name, Type = type };

    private static IEnumerable<TestCaseData> RefusedRuns()
    {
        yield return new TestCaseData(new RunSpec { OrgId = "", Tasks = [Task("a")] }, "org id is required", "org_id").SetName("CreateRun_NoOrg_Refused");
        yield return new TestCaseData(new RunSpec { Open = true, Tasks = [Task("a")] }, "an open run is created without tasks", "tasks").SetName("CreateRun_OpenRunWithTasks_Refused");
        yield return new TestCaseData(new RunSpec { MaxConcurrency = 0, Tasks = [Task("a")] }, "max_concurrency must be at least 1", "max_concurrency").SetName("CreateRun_MaxConcurrencyZero_Refused");
        yield return new TestCaseData(new RunSpec { Timeout = TimeSpan.Zero, Tasks = [Task("a")] }, "timeout must be positive", "timeout").SetName("CreateRun_RunTimeoutZero_Refused");
        yield return new TestCaseData(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = " " }] }, "task type is required", "type").SetName("CreateRun_TaskWithoutType_Refused");
        yield return new TestCaseData(new RunSpec { Tasks = [Task("a") with { MaxRetries = -1 }] }, "max_retries must not be negative", "max_retries").SetName("CreateRun_NegativeMaxRetries_Refused");
        yield return new TestCaseData(new RunSpec { Tasks = [Task("a") with { Timeout = TimeSpan.Zero }] }, "timeout must be positive", "timeout").SetName("CreateRun_TaskTimeoutZero_Refused");
        yield return new TestCaseData(new RunSpec { Tasks = [Task("a") with { RetryPolicy = RetryPolicy.Default with { MaxAttempts = 0 } }] }, "max_attempts must be at least 1", "retry_policy").SetName("CreateRun_InvalidRetryPolicy_RefusedWithThePolicysReason");
        yield return new TestCaseData(new RunSpec { Tasks = [Task("a"), Task("a")] }, "duplicate task name 'a'", "name").SetName("CreateRun_DuplicateTaskNames_Refused");
        yield return new TestCaseData(new RunSpec { Tasks = [Task("a") with { DependsOn = ["a"] }, Task("b")] }, "dependency cycle: a -> a", "dependencies").SetName("CreateRun_TaskDependsOnItself_Refused");
    }

    [TestCaseSource(nameof(RefusedRuns))]
    public async Task CreateRun_Refused_NamesFieldAndWritesNothing(RunSpec spec, string message, string field)
    {
        var (client, store, _) = NewClient();

        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => client.CreateRunAsync(spec));

        Assert.That(ex!.Message, Is.EqualTo(message));
        Assert.That(ex.Field, Is.EqualTo(field));
        var page = await store.ListRunsAsync(new RunQuery { OrgId = Org.DefaultId }, CancellationToken.None);
        Assert.That(page.Items, Is.Empty);
    }

    [Test]
    public async Task CreateRun_DefaultsFilledIn_TasksNamedRetriesCountedTimeoutDefaulted()
    {
        var (client, store, _) = NewClient(new EngineOptions { DefaultTaskTimeout = TimeSpan.FromMinutes(5) });

        var created = await client.CreateRunAsync(new RunSpec
        {
            IdempotencyKey = "",
            Tasks =
            [
                new TaskSpec { Type = "resize" },
                new TaskSpec { Type = "resize", DependsOn = ["resize", "resize"] },
                new TaskSpec { Name = "own", Type = "x", MaxRetries = 2, Timeout = TimeSpan.FromSeconds(30) },
            ],
        });

        Assert.That(created.Run.IdempotencyKey, Is.Null, "an empty idempotency key is no key");
        var tasks = (await store.GetRunTasksAsync(Org.DefaultId, created.Run.Id, CancellationToken.None)).ToDictionary(t => t.Name);
        Assert.That(tasks.Keys, Is.EquivalentTo(new[] { "resize", "resize-2", "own" }), "unnamed tasks take their type, numbered when it repeats");
        Assert.That(tasks["resize-2"].Dependencies, Is.EqualTo(new[] { "resize" }), "a repeated dependency counts once");
        Assert.That(tasks["resize"].Timeout, Is.EqualTo(TimeSpan.FromMinutes(5)), "the engine's default timeout");
        Assert.That(tasks["own"].Timeout, Is.EqualTo(TimeSpan.FromSeconds(30)), "the task's own timeout wins");
        Assert.That(tasks["own"].RetryPolicy.MaxAttempts, Is.EqualTo(3), "max_retries counts the attempts after the first");
        Assert.That(tasks["resize"].RetryPolicy, Is.EqualTo(RetryPolicy.Default));
    }

    [Test]
    public async Task CreateRun_ZeroMaxRetries_OneAttempt()
    {
        var (client, store, _) = NewClient();

        var created = await client.CreateRunAsync(new RunSpec { Tasks = [Task("a") with { MaxRetries = 0 }] });

        var task = (await store.GetRunTasksAsync(Org.DefaultId, created.Run.Id, CancellationToken.None)).Single();
        Assert.That(task.RetryPolicy.MaxAttempts, Is.EqualTo(1));
    }

    [Test]
    public async Task AddTask_Unnamed_NamedAfterItsTypeAndUnique()
    {
        var (client, store, _) = NewClient();
        var run = (await client.CreateRunAsync(new RunSpec { Open = true })).Run;

        await client.AddTaskAsync(Org.DefaultId, run.Id, new TaskSpec { Type = "scan" });
        await client.AddTaskAsync(Org.DefaultId, run.Id, new TaskSpec { Type = "scan" });

        var names = (await store.GetRunTasksAsync(Org.DefaultId, run.Id, CancellationToken.None)).Select(t => t.Name).ToList();
        Assert.That(names, Has.Count.EqualTo(2).And.Unique);
        Assert.That(names, Has.All.Match("^scan-[0-9a-f]{32}$"));
    }

    [TestCase("", "key is required", TestName = "PutRunData_EmptyKey_Refused")]
    [TestCase(256, "key must be at most 255 characters", TestName = "PutRunData_KeyOver255Characters_Refused")]
    public async Task PutRunData_BadKey_Refused(object key, string message)
    {
        var (client, _, _) = NewClient();
        var run = (await client.CreateRunAsync(new RunSpec { Open = true })).Run;
        var text = key as string ?? new string('k', (int)key);

        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => client.PutRunDataAsync(Org.DefaultId, run.Id, new RunDataSpec { Key = text }));

        Assert.That(ex!.Message, Is.EqualTo(message));
        Assert.That(ex.Field, Is.EqualTo("key"));
    }

    [Test]
    public async Task PutRunData_KeyOf255Characters_Stored()
    {
        var (client, _, _) = NewClient();
        var run = (await client.CreateRunAsync(new RunSpec { Open = true })).Run;

        var entry = await client.PutRunDataAsync(Org.DefaultId, run.Id, new RunDataSpec { Key = new string('k', 255), ValueJson = "1" });

        Assert.That(entry!.Key, Has.Length.EqualTo(255));
    }

    [TestCase(true, true, TestName = "DeleteRunData_KeyAndId_Refused")]
    [TestCase(false, false, TestName = "DeleteRunData_NeitherKeyNorId_Refused")]
    public void DeleteRunData_NotExactlyOneOfKeyAndId_Refused(bool key, bool id)
    {
        var (client, _, _) = NewClient();

        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() =>
            client.DeleteRunDataAsync(new DeleteRunDataParams(Org.DefaultId, Guid.NewGuid(), key ? "k" : null, id ? Guid.NewGuid() : null)));

        Assert.That(ex!.Message, Is.EqualTo("give exactly one of key and id"));
    }

    [Test]
    public async Task WaitForRun_RunFinishesWhileWaiting_ReturnsTheFinishedRun()
    {
        var (client, store, time) = NewClient();
        var run = (await client.CreateRunAsync(new RunSpec { Tasks = [Task("a")] })).Run;

        var waiting = client.WaitForRunAsync(Org.DefaultId, run.Id, TimeSpan.FromHours(1));
        Assert.That(waiting.IsCompleted, Is.False, "returned before the run finished");
        var claimed = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "e", Types = ["work"], Max = 1, LeaseDuration = TimeSpan.FromMinutes(1) }, CancellationToken.None);
        await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(claimed[0].Id, claimed[0].LeaseToken!.Value), null)], CancellationToken.None);
        // The client looks again at the store's next signal or, failing one, at its poll interval.
        time.Advance(TimeSpan.FromHours(1));

        var finished = await waiting.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(finished!.Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task WaitForRun_UnknownRun_ReturnsNull()
    {
        var (client, _, _) = NewClient();

        Assert.That(await client.WaitForRunAsync(Org.DefaultId, Guid.NewGuid()), Is.Null);
    }
}
