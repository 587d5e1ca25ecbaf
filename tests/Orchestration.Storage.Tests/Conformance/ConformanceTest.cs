using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Base of every conformance fixture: a fresh store per test on a fake clock, the engine client over it, and
/// small helpers. Concrete fixtures carry <c>[TestFixtureSource(typeof(Backends), nameof(Backends.All))]</c>.
/// </summary>
public abstract class ConformanceTest(Backend backend)
{
    protected const string Org = "org-a";
    protected const string OtherOrg = "org-b";
    protected static readonly TimeSpan LeaseLength = TimeSpan.FromSeconds(30);

    // Jitter 0 so retry times are exact.
    protected static readonly RetryPolicy Policy = new(3, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(25), 2.0, 0);

    private StoreHandle? _handle;

    protected Backend Backend { get; } = backend;
    protected FakeTimeProvider Time { get; private set; } = null!;
    protected IOrchestrationStore Store => _handle!.Store;
    protected IOrchestrationQueries Queries => _handle!.Queries;
    protected IIdentityStore Identity => _handle!.Identity;
    protected IExecutorRegistry Executors => _handle!.Executors;
    protected IWebhookStore Webhooks => _handle!.Webhooks;
    protected IScheduleStore Schedules => _handle!.Schedules;
    protected IRetentionStore Retention => _handle!.Retention;
    protected IDefinitionStore Definitions => _handle!.Definitions;
    protected IRunSearchIndex SearchIndex => _handle!.SearchIndex;
    protected IOrchestrationClient Client { get; private set; } = null!;

    [SetUp]
    public async Task CreateStore()
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        _handle = await Backend.CreateAsync(Time);
        Client = new OrchestrationClient(Store, Queries, Options.Create(new EngineOptions { DefaultRetryPolicy = Policy }));
    }

    /// <summary>A host restart: the store object is closed and a new one opened on the same data (see <see cref="StoreHandle.Reopen"/>).</summary>
    protected async Task ReopenStoreAsync()
    {
        if (_handle!.Reopen is not { } reopen) return;
        _handle = await reopen();
        Client = new OrchestrationClient(Store, Queries, Options.Create(new EngineOptions { DefaultRetryPolicy = Policy }));
    }

    [TearDown]
    public async Task DisposeStore()
    {
        if (_handle is not null) await _handle.DisposeAsync();
        _handle = null;
    }

    protected static TaskSpec T(string name, params string[] dependsOn) => new() { Name = name, Type = "work", DependsOn = dependsOn };

    protected async Task<Run> CreateRunAsync(params TaskSpec[] tasks) => await CreateRunAsync(Org, tasks);

    protected async Task<Run> CreateRunAsync(string org, params TaskSpec[] tasks)
    {
        var result = await Client.CreateRunAsync(new RunSpec { OrgId = org, Tasks = tasks });
        Assert.That(result.Created, Is.True);
        return result.Run;
    }

    protected Task<IReadOnlyList<TaskRun>> ClaimAsync(int max = 100, string executor = "executor-1", string[]? types = null, string? org = null, TimeSpan? lease = null, IReadOnlyDictionary<string, int>? typeLimits = null) =>
        Store.ClaimTasksAsync(new ClaimTasksParams
        {
            ExecutorId = executor,
            ExecutorIp = "10.0.0.7",
            Types = types ?? [],
            OrgId = org,
            Max = max,
            LeaseDuration = lease ?? LeaseLength,
            TypeLimits = typeLimits,
        }, CancellationToken.None);

    protected async Task<TaskRun> ClaimOneAsync(string? name = null)
    {
        var claimed = await ClaimAsync(1);
        Assert.That(claimed, Has.Count.EqualTo(1), "expected one claimable task");
        if (name is not null) Assert.That(claimed[0].Name, Is.EqualTo(name));
        return claimed[0];
    }

    protected async Task<bool> CompleteAsync(TaskRun task, string? output = null)
    {
        var results = await Store.CompleteTasksAsync([new TaskCompletion(Lease(task), output)], CancellationToken.None);
        return results[0].Applied;
    }

    protected async Task<TaskWriteResult> FailAsync(TaskRun task, string message = "boom", bool retryable = true)
    {
        var results = await Store.FailTasksAsync([new TaskFailure(Lease(task), JsonDefaults.ErrorJson(message), retryable)], CancellationToken.None);
        return results[0];
    }

    protected static TaskLease Lease(TaskRun task) => new(task.Id, task.LeaseToken!.Value);

    protected async Task<TaskRun> TaskAsync(Guid id) =>
        await Queries.GetTaskAsync(Org, id, CancellationToken.None) ?? throw new AssertionException($"task {id} not found");

    protected async Task<TaskRun> TaskByNameAsync(Guid runId, string name) =>
        (await Queries.GetRunTasksAsync(Org, runId, CancellationToken.None)).Single(t => t.Name == name);

    protected async Task<Run> RunAsync(Guid id, string org = Org) =>
        await Queries.GetRunAsync(org, id, CancellationToken.None) ?? throw new AssertionException($"run {id} not found");

    protected async Task<List<EngineEvent>> EventsAsync(Guid runId) =>
        (await Queries.ReadEventsAsync(0, 10_000, null, CancellationToken.None)).Where(e => e.RunId == runId).ToList();
}
