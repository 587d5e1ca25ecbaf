using BenchmarkDotNet.Attributes;
using Orchestration.Engine;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Benchmarks.Micro;

/// <summary>The store's hot path: claim a batch and complete it, as the executor runtime does, on the reference store.</summary>
[MemoryDiagnoser]
public class InMemoryClaimBenchmarks : IDisposable
{
    private InMemoryStore _store = null!;
    private IOrchestrationClient _client = null!;
    private readonly ClaimTasksParams _claim = new() { ExecutorId = "bench", Max = 100, LeaseDuration = TimeSpan.FromSeconds(30), Types = ["noop"] };

    [Params(100)]
    public int Batch { get; set; }

    [IterationSetup]
    public void Fill()
    {
        _store?.Dispose();
        _store = new InMemoryStore(TimeProvider.System);
        _client = MicroClients.For(_store);
        _client.CreateRunsAsync(Engine.Workloads.SingleTask(Batch * 10)).GetAwaiter().GetResult();
    }

    [Benchmark(Description = "claim 100 + complete 100 (in memory)", OperationsPerInvoke = 10)]
    public async Task ClaimAndComplete()
    {
        for (var i = 0; i < 10; i++) await ClaimAndCompleteOnceAsync();
    }

    public async Task<int> ClaimAndCompleteOnceAsync()
    {
        var claimed = await _store.ClaimTasksAsync(_claim with { Max = Batch }, CancellationToken.None);
        var completions = new TaskCompletion[claimed.Count];
        for (var i = 0; i < completions.Length; i++) completions[i] = new TaskCompletion(new TaskLease(claimed[i].Id, claimed[i].LeaseToken!.Value), null);
        var results = await _store.CompleteTasksAsync(completions, CancellationToken.None);
        return results.Count(r => r.Applied);
    }

    [GlobalCleanup]
    public void Dispose() => _store?.Dispose();
}
