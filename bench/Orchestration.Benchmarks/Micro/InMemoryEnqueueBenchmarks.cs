using BenchmarkDotNet.Attributes;
using Orchestration.Engine;
using Orchestration.Storage.InMemory;

namespace Orchestration.Benchmarks.Micro;

/// <summary>
/// Bulk enqueue of single-task runs through the public client on the in-memory store: the client's checks and the
/// store's inserts, into an empty store and into one already holding <see cref="Existing"/> ready tasks (where the
/// ready queue's ordering structure is large).
/// </summary>
[MemoryDiagnoser]
public class InMemoryEnqueueBenchmarks : IDisposable
{
    private const int Runs = 10_000;
    private InMemoryStore _store = null!;
    private IOrchestrationClient _client = null!;
    private RunSpec[] _specs = null!;

    [Params(0, 100_000)]
    public int Existing { get; set; }

    [IterationSetup]
    public void Fill()
    {
        _store?.Dispose();
        _store = new InMemoryStore(TimeProvider.System);
        _client = MicroClients.For(_store);
        if (Existing > 0) _client.CreateRunsAsync(Engine.Workloads.SingleTask(Existing)).GetAwaiter().GetResult();
        _specs = Engine.Workloads.SingleTask(Runs);
    }

    [Benchmark(Description = "CreateRunsAsync, 10,000 single-task runs (in memory)", OperationsPerInvoke = Runs)]
    public Task Enqueue() => _client.CreateRunsAsync(_specs);

    /// <summary>Queued tasks in the store (for the smoke test).</summary>
    public int QueuedTasks() =>
        _store.ListTasksAsync(new Storage.TaskQuery { OrgId = Domain.Org.DefaultId, Status = Domain.TaskRunStatus.Queued, Limit = 1 }, CancellationToken.None).GetAwaiter().GetResult().Total;

    [GlobalCleanup]
    public void Dispose() => _store?.Dispose();
}
