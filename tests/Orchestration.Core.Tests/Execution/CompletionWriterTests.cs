using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Execution;

public sealed class CompletionWriterTests
{
    private FakeTimeProvider _time = null!;
    private ImmediateBackoff _backoff = null!;
    private InMemoryStore _inner = null!;
    private FaultyStore _faults = null!;
    private IOrchestrationStore _store = null!;
    private ConcurrentDictionary<Guid, TaskWriteResult?> _written = null!;
    private TaskCompletionSource _allWritten = null!;
    private int _expected;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _backoff = new ImmediateBackoff();
        _inner = new InMemoryStore(_time);
        _store = FaultyStore.Wrap(_inner, out _faults);
        _written = new();
        _allWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [TearDown]
    public void TearDown() => _inner.Dispose();

    [Test]
    public async Task RunAsync_OneItemRefusedForGood_OthersCompleteAndThatTaskFailsWithReason()
    {
        var tasks = await ClaimTasksAsync(8);
        var poison = tasks[5];
        _faults.RefuseCompletionOf = poison.Id;
        var writer = StartWriter(tasks.Count, out var loop);

        foreach (var t in tasks) writer.Complete(new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), "{\"ok\":true}"), t.Id);
        writer.Close();
        await FinishAsync(loop);

        Assert.That(_written, Has.Count.EqualTo(8), "every submitter hears back once");
        foreach (var t in tasks.Where(t => t.Id != poison.Id))
        {
            Assert.That(_written[t.Id], Is.EqualTo(new TaskWriteResult(t.Id, true, TaskRunStatus.Completed)));
            Assert.That((await _inner.GetTaskAsync(Org.DefaultId, t.Id, CancellationToken.None))!.Status, Is.EqualTo(TaskRunStatus.Completed));
        }

        var refused = await _inner.GetTaskAsync(Org.DefaultId, poison.Id, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(_written[poison.Id], Is.EqualTo(new TaskWriteResult(poison.Id, true, TaskRunStatus.Failed)));
            // Failed for good although the default policy has attempts left: the same result would be refused again.
            Assert.That(refused!.Status, Is.EqualTo(TaskRunStatus.Failed));
            Assert.That(refused.ErrorJson, Does.Contain("could not be stored").And.Contain(nameof(InvalidOperationException)));
            Assert.That(refused.ErrorJson, Does.Not.Contain(FaultyStore.SecretDetail), "store error text stays in the log");
        });
    }

    [Test]
    public async Task RunAsync_StoreDownThenBack_EveryItemAppliesAndNoneFails()
    {
        var tasks = await ClaimTasksAsync(6);
        // Long enough to reach the alone retries and the fallback failure: both must wait for the store.
        _faults.FailEveryCall = 10;
        var writer = StartWriter(tasks.Count, out var loop);

        foreach (var t in tasks) writer.Complete(new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null), t.Id);
        writer.Close();
        await FinishAsync(loop);

        Assert.That(_faults.FailEveryCall, Is.EqualTo(0), "the outage was used up");
        foreach (var t in tasks)
        {
            Assert.That(_written[t.Id], Is.EqualTo(new TaskWriteResult(t.Id, true, TaskRunStatus.Completed)));
            Assert.That((await _inner.GetTaskAsync(Org.DefaultId, t.Id, CancellationToken.None))!.Status, Is.EqualTo(TaskRunStatus.Completed));
        }
    }

    [Test]
    public async Task RunAsync_RefusedItemWhileStoreDown_WaitsForStoreThenFailsTask()
    {
        var tasks = await ClaimTasksAsync(1);
        _faults.RefuseCompletionOf = tasks[0].Id;
        // The fallback failure fails too while the store is down: the writer must neither give up nor lose the item.
        _faults.FailEveryCall = 3 * CompletionWriter.AloneTriesBeforeRefused + 1;
        var writer = StartWriter(1, out var loop);

        writer.Complete(new TaskCompletion(new TaskLease(tasks[0].Id, tasks[0].LeaseToken!.Value), null), tasks[0].Id);
        writer.Close();
        await FinishAsync(loop);

        Assert.That(_faults.FailEveryCall, Is.EqualTo(0), "the writer kept trying through the outage");
        Assert.That(_written[tasks[0].Id], Is.EqualTo(new TaskWriteResult(tasks[0].Id, true, TaskRunStatus.Failed)));
    }

    [Test]
    public async Task RunAsync_CompletionsAndFailuresMixed_EachWrittenAsItsOwnKind()
    {
        var tasks = await ClaimTasksAsync(4);
        var writer = NewWriter(tasks.Count);

        writer.Complete(new TaskCompletion(LeaseOf(tasks[0]), "{\"n\":0}"), tasks[0].Id);
        writer.Fail(new TaskFailure(LeaseOf(tasks[1]), JsonDefaults.ErrorJson("transient")), tasks[1].Id);
        writer.Complete(new TaskCompletion(LeaseOf(tasks[2]), "{\"n\":2}"), tasks[2].Id);
        writer.Fail(new TaskFailure(LeaseOf(tasks[3]), JsonDefaults.ErrorJson("bad input"), Retryable: false), tasks[3].Id);
        writer.Close();
        await FinishAsync(Task.Run(writer.RunAsync));

        Assert.Multiple(() =>
        {
            Assert.That(_written[tasks[0].Id], Is.EqualTo(new TaskWriteResult(tasks[0].Id, true, TaskRunStatus.Completed)));
            Assert.That(_written[tasks[1].Id], Is.EqualTo(new TaskWriteResult(tasks[1].Id, true, TaskRunStatus.Retrying)));
            Assert.That(_written[tasks[2].Id], Is.EqualTo(new TaskWriteResult(tasks[2].Id, true, TaskRunStatus.Completed)));
            Assert.That(_written[tasks[3].Id], Is.EqualTo(new TaskWriteResult(tasks[3].Id, true, TaskRunStatus.Failed)));
            Assert.That(_faults.Calls, Is.EqualTo(2), "one call for the completions, one for the failures");
        });
        Assert.That((await _inner.GetTaskAsync(Org.DefaultId, tasks[2].Id, CancellationToken.None))!.OutputJson, Is.EqualTo("{\"n\":2}"));
    }

    [Test]
    public async Task RunAsync_MoreItemsThanBatchSize_NoStoreCallCarriesMoreThanBatchSize()
    {
        var tasks = await ClaimTasksAsync(7);
        var writer = NewWriter(tasks.Count, new WorkerOptions { CompletionBatchSize = 3 });

        // Everything is queued before the loop first reads, so the loop must cut the backlog itself.
        foreach (var t in tasks) writer.Complete(new TaskCompletion(LeaseOf(t), null), t.Id);
        writer.Close();
        await FinishAsync(Task.Run(writer.RunAsync));

        Assert.That(_faults.LargestBatch, Is.EqualTo(3));
        foreach (var t in tasks) Assert.That(_written[t.Id], Is.EqualTo(new TaskWriteResult(t.Id, true, TaskRunStatus.Completed)));
    }

    [Test]
    public async Task Complete_AfterClose_ReportedAsNotWrittenAndStoreUntouched()
    {
        var tasks = await ClaimTasksAsync(1);
        var writer = StartWriter(1, out var loop);
        writer.Close();
        await loop;

        writer.Complete(new TaskCompletion(LeaseOf(tasks[0]), null), tasks[0].Id);

        Assert.That(_written.TryGetValue(tasks[0].Id, out var result), Is.True, "the submitter hears back at once");
        Assert.That(result, Is.Null);
        Assert.That(_faults.Calls, Is.Zero);
        Assert.That((await _inner.GetTaskAsync(Org.DefaultId, tasks[0].Id, CancellationToken.None))!.Status, Is.EqualTo(TaskRunStatus.Running));
    }

    [Test]
    public async Task RunAsync_FailureRefusedForGood_OtherFailuresApplyAndThatTaskFailsWithReason()
    {
        var tasks = await ClaimTasksAsync(3);
        _faults.RefuseFailureOf = tasks[1].Id;
        var writer = NewWriter(tasks.Count);

        foreach (var t in tasks) writer.Fail(new TaskFailure(LeaseOf(t), JsonDefaults.ErrorJson("transient")), t.Id);
        writer.Close();
        await FinishAsync(Task.Run(writer.RunAsync));

        Assert.Multiple(() =>
        {
            Assert.That(_written[tasks[0].Id], Is.EqualTo(new TaskWriteResult(tasks[0].Id, true, TaskRunStatus.Retrying)));
            Assert.That(_written[tasks[2].Id], Is.EqualTo(new TaskWriteResult(tasks[2].Id, true, TaskRunStatus.Retrying)));
            Assert.That(_written[tasks[1].Id], Is.EqualTo(new TaskWriteResult(tasks[1].Id, true, TaskRunStatus.Failed)), "failed for good, not retried");
        });
        var refused = await _inner.GetTaskAsync(Org.DefaultId, tasks[1].Id, CancellationToken.None);
        Assert.That(refused!.ErrorJson, Does.Contain("could not be stored"));
    }

    [Test]
    public async Task RunAsync_TransientErrorsEndingAtAnyCall_EveryItemCompletes([Range(1, 14)] int failingCalls)
    {
        // A database restart leaves stale pooled connections whose first use fails after the server is back: however
        // long an outage of transient errors lasts and wherever it ends, no task may be failed for good by it.
        var tasks = await ClaimTasksAsync(4);
        _faults.FailEveryCall = failingCalls;
        var writer = StartWriter(tasks.Count, out var loop);

        foreach (var t in tasks) writer.Complete(new TaskCompletion(LeaseOf(t), null), t.Id);
        writer.Close();
        await FinishAsync(loop);

        Assert.That(_faults.FailEveryCall, Is.Zero);
        Assert.That(tasks.Select(t => _written[t.Id]!.Value.Status), Is.All.EqualTo(TaskRunStatus.Completed));
    }

    [Test]
    public async Task RunAsync_StoreDownForLong_BackoffDoublesFrom50MsUpTo5Seconds()
    {
        var tasks = await ClaimTasksAsync(1);
        _faults.FailEveryCall = 11;
        var writer = StartWriter(1, out var loop);

        writer.Complete(new TaskCompletion(LeaseOf(tasks[0]), null), tasks[0].Id);
        writer.Close();
        await FinishAsync(loop);

        // The batch write and ten retries alone fail; the eleventh retry applies.
        Assert.That(_backoff.Delays.Select(d => d.TotalMilliseconds), Is.EqualTo(new[] { 50.0, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000 }));
        Assert.That(_written[tasks[0].Id], Is.EqualTo(new TaskWriteResult(tasks[0].Id, true, TaskRunStatus.Completed)));
    }

    private static Exception TransientError(string kind) => kind switch
    {
        "io" => new IOException("broken pipe"),
        "socket" => new System.Net.Sockets.SocketException(10054),
        "transient database error" => new TransientDbException(),
        "wrapped timeout" => new InvalidOperationException("command failed", new TimeoutException("read timed out")),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [TestCase("io")]
    [TestCase("socket")]
    [TestCase("transient database error")]
    [TestCase("wrapped timeout")]
    public async Task RunAsync_LongOutageOfTransientKind_ItemWaitsAndCompletesNeverRefused(string kind)
    {
        var tasks = await ClaimTasksAsync(1);
        _faults.Outage = () => TransientError(kind);
        // Ends where a writer that took these errors for refusals would be writing its fallback failure, which then applies.
        _faults.FailEveryCall = 3 * CompletionWriter.AloneTriesBeforeRefused;
        var writer = StartWriter(1, out var loop);

        writer.Complete(new TaskCompletion(LeaseOf(tasks[0]), null), tasks[0].Id);
        writer.Close();
        await FinishAsync(loop);

        Assert.That(_written[tasks[0].Id], Is.EqualTo(new TaskWriteResult(tasks[0].Id, true, TaskRunStatus.Completed)));
    }

    [Test]
    public async Task RunAsync_DatabaseErrorNotTransient_CountsAsRefusalAndTaskFails()
    {
        var tasks = await ClaimTasksAsync(1);
        _faults.Outage = () => new PermanentDbException();
        _faults.FailEveryCall = CompletionWriter.AloneTriesBeforeRefused;
        var writer = StartWriter(1, out var loop);

        writer.Complete(new TaskCompletion(LeaseOf(tasks[0]), null), tasks[0].Id);
        writer.Close();
        await FinishAsync(loop);

        Assert.That(_written[tasks[0].Id], Is.EqualTo(new TaskWriteResult(tasks[0].Id, true, TaskRunStatus.Failed)));
        var failed = await _inner.GetTaskAsync(Org.DefaultId, tasks[0].Id, CancellationToken.None);
        Assert.That(failed!.ErrorJson, Does.Contain(nameof(PermanentDbException)));
    }

    private static TaskLease LeaseOf(TaskRun task) => new(task.Id, task.LeaseToken!.Value);

    private async Task<IReadOnlyList<TaskRun>> ClaimTasksAsync(int count)
    {
        var client = new OrchestrationClient(_inner, _inner, Options.Create(new EngineOptions()), _time);
        for (var i = 0; i < count; i++)
            await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = $"t{i}", Type = "work" }] });
        var claimed = await _inner.ClaimTasksAsync(new ClaimTasksParams
        {
            ExecutorId = "e1", ExecutorIp = "127.0.0.1", Types = [], Max = count, LeaseDuration = TimeSpan.FromMinutes(5),
        }, CancellationToken.None);
        Assert.That(claimed, Has.Count.EqualTo(count));
        return claimed;
    }

    private CompletionWriter StartWriter(int expected, out Task loop)
    {
        var writer = NewWriter(expected);
        loop = Task.Run(writer.RunAsync);
        return writer;
    }

    // A writer whose loop the test starts itself, so a whole backlog can be queued before the loop first reads.
    private CompletionWriter NewWriter(int expected, WorkerOptions? options = null)
    {
        _expected = expected;
        return new CompletionWriter(_store, options ?? new WorkerOptions(), _backoff, NullLogger.Instance, (state, result) =>
        {
            Assert.That(_written.TryAdd((Guid)state, result), Is.True, "an item was reported twice");
            if (_written.Count == _expected) _allWritten.TrySetResult();
        });
    }

    // The writer's backoff waits end at once (ImmediateBackoff), so the loop runs to its end without the test moving a
    // clock in step with it.
    private async Task FinishAsync(Task loop)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await loop.WaitAsync(deadline.Token);
        await _allWritten.Task.WaitAsync(deadline.Token);
    }

    /// <summary>A clock for the writer's backoff only: every delay asked of it elapses at once, and is recorded.</summary>
    private sealed class ImmediateBackoff : TimeProvider
    {
        public ConcurrentQueue<TimeSpan> Delays { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Delays.Enqueue(dueTime);
            return System.CreateTimer(callback, state, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    private sealed class TransientDbException() : System.Data.Common.DbException("connection reset")
    {
        public override bool IsTransient => true;
    }

    private sealed class PermanentDbException() : System.Data.Common.DbException("constraint violated")
    {
        public override bool IsTransient => false;
    }

    /// <summary>The in-memory store, except that it throws on the writes a test chooses.</summary>
    public class FaultyStore : DispatchProxy
    {
        public const string SecretDetail = "password=hunter2";
        private IOrchestrationStore _inner = null!;
        private readonly object _gate = new();

        public Guid? RefuseCompletionOf { get; set; }
        public Guid? RefuseFailureOf { get; set; }
        public int FailEveryCall { get; set; }

        /// <summary>What each of the <see cref="FailEveryCall"/> calls throws.</summary>
        public Func<Exception> Outage { get; set; } = () => new TimeoutException("database unreachable");

        /// <summary>Write calls that reached the store (refused ones included).</summary>
        public int Calls { get; private set; }

        public int LargestBatch { get; private set; }

        public static IOrchestrationStore Wrap(IOrchestrationStore inner, out FaultyStore faults)
        {
            var proxy = Create<IOrchestrationStore, FaultyStore>();
            faults = (FaultyStore)(object)proxy;
            faults._inner = inner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            lock (_gate)
            {
                if (targetMethod!.Name is nameof(IOrchestrationStore.CompleteTasksAsync) or nameof(IOrchestrationStore.FailTasksAsync))
                {
                    Calls++;
                    LargestBatch = Math.Max(LargestBatch, ((System.Collections.ICollection)args![0]!).Count);
                    if (FailEveryCall > 0)
                    {
                        FailEveryCall--;
                        return Task.FromException<IReadOnlyList<TaskWriteResult>>(Outage());
                    }

                    if (targetMethod.Name == nameof(IOrchestrationStore.CompleteTasksAsync)
                        && args![0] is IReadOnlyList<TaskCompletion> items && items.Any(c => c.Lease.TaskId == RefuseCompletionOf))
                        return Task.FromException<IReadOnlyList<TaskWriteResult>>(new InvalidOperationException("constraint violated, " + SecretDetail));

                    // Only the retryable failure is refused: the writer's own fallback (Retryable: false) goes through.
                    if (targetMethod.Name == nameof(IOrchestrationStore.FailTasksAsync)
                        && args![0] is IReadOnlyList<TaskFailure> failures && failures.Any(f => f.Lease.TaskId == RefuseFailureOf && f.Retryable))
                        return Task.FromException<IReadOnlyList<TaskWriteResult>>(new InvalidOperationException("constraint violated"));
                }
            }

            return targetMethod.Invoke(_inner, args);
        }
    }
}
