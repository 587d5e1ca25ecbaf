using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Orchestration.Domain;
using Orchestration.Sqlite;
using Orchestration.Storage;

namespace Orchestration.Benchmarks.Micro;

/// <summary>
/// The SQLite store's two hot paths on a real database file (WAL, synchronous=NORMAL as the store configures it):
/// claim 100 + complete 100 as the executor runtime calls them, and one bulk insert of single-task runs as
/// <c>CreateRunsAsync</c> receives them from the client. The store is called directly, so the figures are the store's
/// cost alone (no worker, no client-side graph validation).
/// </summary>
/// <remarks>
/// Each iteration enqueues its own work in an un-timed setup, so one invocation per iteration; few iterations keep a
/// run under two minutes on a 2-core machine.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 12, invocationCount: 1)]
public class SqliteStoreBenchmarks : IDisposable
{
    public const int ClaimBatches = 10;
    public const int EnqueueRuns = 10_000;

    private readonly ClaimTasksParams _claim = new() { ExecutorId = "bench", Max = 100, LeaseDuration = TimeSpan.FromSeconds(30), Types = ["noop"] };
    private string _directory = null!;
    private SqliteStore _store = null!;
    private CreateRunParams[] _runs = [];

    [Params(100)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Open()
    {
        _directory = Path.Combine(Path.GetTempPath(), "orchestration-micro-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _store = new SqliteStore($"Data Source={Path.Combine(_directory, "micro.db")}", TimeProvider.System);
        _store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    [IterationSetup(Target = nameof(ClaimAndComplete))]
    public void FillForClaims() =>
        _store.CreateRunsAsync(SingleTaskRuns(Batch * ClaimBatches), CancellationToken.None).GetAwaiter().GetResult();

    [IterationSetup(Target = nameof(CreateRuns))]
    public void PrepareRuns() => _runs = SingleTaskRuns(EnqueueRuns);

    [Benchmark(Description = "claim 100 + complete 100 (sqlite), per task", OperationsPerInvoke = 1000)]
    public async Task ClaimAndComplete()
    {
        for (var i = 0; i < ClaimBatches; i++) await ClaimAndCompleteOnceAsync();
    }

    [Benchmark(Description = "CreateRuns 10,000 single-task runs (sqlite), per task", OperationsPerInvoke = EnqueueRuns)]
    public Task CreateRuns() => _store.CreateRunsAsync(_runs, CancellationToken.None);

    /// <summary>One claim of <see cref="Batch"/> tasks and one completion call for all of them; returns how many applied.</summary>
    public async Task<int> ClaimAndCompleteOnceAsync()
    {
        var claimed = await _store.ClaimTasksAsync(_claim with { Max = Batch }, CancellationToken.None);
        var completions = new TaskCompletion[claimed.Count];
        for (var i = 0; i < completions.Length; i++) completions[i] = new TaskCompletion(new TaskLease(claimed[i].Id, claimed[i].LeaseToken!.Value), null);
        var results = await _store.CompleteTasksAsync(completions, CancellationToken.None);
        var applied = 0;
        foreach (var r in results) applied += r.Applied ? 1 : 0;
        return applied;
    }

    /// <summary>Runs as the client would hand them to the store: one queued "noop" task each, default retry policy.</summary>
    public static CreateRunParams[] SingleTaskRuns(int count)
    {
        var runs = new CreateRunParams[count];
        for (var i = 0; i < count; i++)
        {
            runs[i] = new CreateRunParams
            {
                RunId = GuidGenerator.NewVersion7(),
                OrgId = Org.DefaultId,
                Kind = RunKind.Managed,
                Family = "embedded",
                Tasks = [new NewTask { Id = GuidGenerator.NewVersion7(), Name = Engine.Workloads.NoopType, Type = Engine.Workloads.NoopType, RetryPolicy = RetryPolicy.Default }],
            };
        }

        return runs;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _store?.Dispose();
        if (_directory is not null) Engine.SqliteFiles.Delete(Path.Combine(_directory, "micro.db"));
        try
        {
            if (_directory is not null) Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder only costs disk.
        }

        GC.SuppressFinalize(this);
    }
}
