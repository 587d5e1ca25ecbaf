using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage.InMemory;

namespace Orchestration.Storage.Tests.InMemoryOnly;

// Bounded retention of finished runs is a rule of the in-memory store only (the SQL stores keep what they are given
// until maintenance deletes it), so it is tested here rather than in the conformance suite.
public sealed class InMemoryRetentionTests
{
    private const string Org = "org-a";
    private static readonly TimeSpan LeaseLength = TimeSpan.FromSeconds(30);

    private FakeTimeProvider _time = null!;
    private InMemoryStore _store = null!;
    private OrchestrationClient _client = null!;

    private void CreateStore(int maxFinishedRuns)
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        _store = new InMemoryStore(_time, new InMemoryStoreOptions { MaxFinishedRuns = maxFinishedRuns });
        _client = new OrchestrationClient(_store, _store, Options.Create(new EngineOptions()));
    }

    [TearDown]
    public void DisposeStore() => _store?.Dispose();

    [Test]
    public async Task CompleteTasks_MoreFinishedRunsThanTheBound_OldestFinishedRunForgotten()
    {
        CreateStore(maxFinishedRuns: 2);
        var a = await CreateRunAsync();
        var b = await CreateRunAsync();
        var c = await CreateRunAsync();
        // Finished in the order b, a, c: the bound counts from when a run finished, not when it was created.
        var taskOfB = await FinishOnlyTaskAsync(b);
        await FinishOnlyTaskAsync(a);
        Assert.That(await _store.GetRunAsync(Org, b.Id, CancellationToken.None), Is.Not.Null, "evicted before the bound was exceeded");

        await FinishOnlyTaskAsync(c);

        Assert.That(await _store.GetRunAsync(Org, b.Id, CancellationToken.None), Is.Null);
        Assert.That(await _store.GetTaskAsync(Org, taskOfB.Id, CancellationToken.None), Is.Null);
        Assert.That(await _store.GetRunTasksAsync(Org, b.Id, CancellationToken.None), Is.Empty);
        Assert.That(await _store.GetAttemptsAsync(Org, taskOfB.Id, CancellationToken.None), Is.Empty);
        Assert.That((await _store.GetRunAsync(Org, a.Id, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That((await _store.GetRunAsync(Org, c.Id, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Completed));
        var listed = await _store.ListRunsAsync(new RunQuery { OrgId = Org }, CancellationToken.None);
        Assert.That(listed.Items.Select(r => r.Id), Is.EquivalentTo(new[] { a.Id, c.Id }));
    }

    [Test]
    public async Task CompleteTasks_UnfinishedRunsBeyondTheBound_NeverForgotten()
    {
        CreateStore(maxFinishedRuns: 1);
        var open = await CreateRunAsync("a", "b");
        var running = (await ClaimAsync(1)).Single();
        var first = await CreateRunAsync();
        var second = await CreateRunAsync();

        await FinishOnlyTaskAsync(first);
        await FinishOnlyTaskAsync(second);

        Assert.That(await _store.GetRunAsync(Org, first.Id, CancellationToken.None), Is.Null);
        Assert.That(await _store.GetRunAsync(Org, second.Id, CancellationToken.None), Is.Not.Null);
        Assert.That(await _store.GetRunAsync(Org, open.Id, CancellationToken.None), Is.Not.Null);
        var completed = await _store.CompleteTasksAsync([new TaskCompletion(Lease(running), null)], CancellationToken.None);
        Assert.That(completed[0].Applied, Is.True, "a running task of an unfinished run lost its lease to eviction");
    }

    [Test]
    public async Task RestartRun_RestartedRunFinishesAgain_CountsFromItsNewFinish()
    {
        CreateStore(maxFinishedRuns: 2);
        var a = await CreateRunAsync();
        var b = await CreateRunAsync();
        var c = await CreateRunAsync();
        var taskOfA = (await ClaimAsync(1)).Single();
        await _store.FailTasksAsync([new TaskFailure(Lease(taskOfA), JsonDefaults.ErrorJson("boom"), Retryable: false)], CancellationToken.None);
        await FinishOnlyTaskAsync(b);
        Assert.That(await _client.RestartRunAsync(Org, a.Id), Is.EqualTo(RunCommandStatus.Applied));

        await FinishOnlyTaskAsync(c);
        Assert.That(await _store.GetRunAsync(Org, a.Id, CancellationToken.None), Is.Not.Null, "a restarted run counted as finished");
        Assert.That(await _store.GetRunAsync(Org, b.Id, CancellationToken.None), Is.Not.Null);
        await FinishOnlyTaskAsync(a);

        Assert.That(await _store.GetRunAsync(Org, b.Id, CancellationToken.None), Is.Null, "b finished longest ago");
        Assert.That((await _store.GetRunAsync(Org, a.Id, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(await _store.GetRunAsync(Org, c.Id, CancellationToken.None), Is.Not.Null);
    }

    [Test]
    public async Task CancelRun_CancelledRunsBeyondTheBound_OldestForgotten()
    {
        CreateStore(maxFinishedRuns: 1);
        var first = await CreateRunAsync();
        var second = await CreateRunAsync();

        await _client.CancelRunAsync(Org, first.Id);
        await _client.CancelRunAsync(Org, second.Id);

        Assert.That(await _store.GetRunAsync(Org, first.Id, CancellationToken.None), Is.Null);
        Assert.That((await _store.GetRunAsync(Org, second.Id, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Cancelled));
        Assert.That(await ClaimAsync(10), Is.Empty, "a task of a forgotten run was still claimable");
    }

    [Test]
    public async Task CreateRun_IdempotencyKeyOfForgottenRun_CreatesNewRun()
    {
        CreateStore(maxFinishedRuns: 1);
        var keyed = await _client.CreateRunAsync(new RunSpec { OrgId = Org, IdempotencyKey = "k", Tasks = [Spec("a")] });
        await FinishOnlyTaskAsync(keyed.Run);
        var again = await _client.CreateRunAsync(new RunSpec { OrgId = Org, IdempotencyKey = "k", Tasks = [Spec("a")] });
        Assert.That(again.Created, Is.False, "the key must hold while its run is kept");
        await FinishOnlyTaskAsync(await CreateRunAsync());

        var afterEviction = await _client.CreateRunAsync(new RunSpec { OrgId = Org, IdempotencyKey = "k", Tasks = [Spec("a")] });

        Assert.That(afterEviction.Created, Is.True);
        Assert.That(afterEviction.Run.Id, Is.Not.EqualTo(keyed.Run.Id));
    }

    [Test]
    public void Constructor_MaxFinishedRunsBelowOne_RefusedNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => new InMemoryStore(TimeProvider.System, new InMemoryStoreOptions { MaxFinishedRuns = 0 }));
        Assert.That(error!.Message, Does.Contain(nameof(InMemoryStoreOptions.MaxFinishedRuns)));
    }

    private static TaskSpec Spec(string name) => new() { Name = name, Type = "work" };

    private async Task<Run> CreateRunAsync(params string[] names)
    {
        var tasks = names.Length == 0 ? [Spec("only")] : names.Select(Spec).ToArray();
        var result = await _client.CreateRunAsync(new RunSpec { OrgId = Org, Tasks = tasks });
        Assert.That(result.Created, Is.True);
        return result.Run;
    }

    private Task<IReadOnlyList<TaskRun>> ClaimAsync(int max) =>
        _store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "executor-1", Types = [], Max = max, LeaseDuration = LeaseLength }, CancellationToken.None);

    // Claims and completes the one task of a single-task run (the oldest queued task must be that one).
    private async Task<TaskRun> FinishOnlyTaskAsync(Run run)
    {
        var tasks = await _store.GetRunTasksAsync(Org, run.Id, CancellationToken.None);
        var claimed = await _store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "executor-1", Types = [], Max = 100, LeaseDuration = LeaseLength }, CancellationToken.None);
        var mine = claimed.Single(t => t.Id == tasks.Single().Id);
        await _store.ReleaseTasksAsync([.. claimed.Where(t => t.Id != mine.Id).Select(Lease)], CancellationToken.None);
        var result = await _store.CompleteTasksAsync([new TaskCompletion(Lease(mine), null)], CancellationToken.None);
        Assert.That(result[0].Applied, Is.True);
        Assert.That((await _store.GetRunAsync(Org, run.Id, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Completed));
        return mine;
    }

    private static TaskLease Lease(TaskRun task) => new(task.Id, task.LeaseToken!.Value);
}
