using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Diagnostics;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Execution;

// The protocol counters are process-wide instruments; no other test may add to them while one of these listens.
[NonParallelizable]
public sealed class ExecutorFrontTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private FakeTimeProvider _time = null!;
    private InMemoryStore _store = null!;
    private OrchestrationClient _client = null!;
    private ExecutorFront _front = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _store = new InMemoryStore(_time);
        _client = new OrchestrationClient(_store, _store, Options.Create(new EngineOptions()), _time);
        _front = new ExecutorFront(_store, _time);
    }

    [TearDown]
    public void TearDown() => _store.Dispose();

    [Test]
    public async Task ClaimAsync_ReadyTasks_EachComesWithItsLeaseAndNoTokenOnTheTask()
    {
        await CreateRunsAsync(3);

        var claimed = await ClaimAsync(max: 5);

        Assert.That(claimed, Has.Count.EqualTo(3));
        foreach (var (task, lease) in claimed)
        {
            Assert.That(lease.TaskId, Is.EqualTo(task.Id));
            Assert.That(lease.LeaseToken, Is.Not.EqualTo(Guid.Empty));
            Assert.That(task.LeaseToken, Is.Null, "handlers never see lease tokens");
            Assert.That(task.Status, Is.EqualTo(TaskRunStatus.Running));
        }

        Assert.That(claimed.Select(c => c.Lease).Distinct().Count(), Is.EqualTo(3));
    }

    [Test]
    public async Task ClaimAsync_StoreAnswersWithTokensOnTheRecords_EachTaskCopiedWithoutItsToken()
    {
        await CreateRunsAsync(2);
        // A wrapper that rebuilds the claim's list, as a store that does not know LeaseTokensApart answers.
        var proxy = System.Reflection.DispatchProxy.Create<IOrchestrationStore, PlainClaims>();
        ((PlainClaims)(object)proxy).Target = _store;
        var front = new ExecutorFront(proxy, _time);

        var claimed = await front.ClaimAsync(new ClaimTasksParams { ExecutorId = "e1", Max = 5, LeaseDuration = Lease }, ExecutorProtocol.InProcess, CancellationToken.None);

        Assert.That(claimed, Has.Count.EqualTo(2));
        foreach (var (task, lease) in claimed)
        {
            Assert.That(task.LeaseToken, Is.Null, "handlers never see lease tokens");
            var stored = await _store.GetTaskAsync(Org.DefaultId, task.Id, CancellationToken.None);
            Assert.That(_front.LeaseOf(stored!, "e1"), Is.EqualTo(lease));
        }
    }

    public class PlainClaims : System.Reflection.DispatchProxy
    {
        public IOrchestrationStore Target { get; set; } = null!;

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            var result = targetMethod!.Invoke(Target, args);
            return targetMethod.Name == nameof(IOrchestrationStore.ClaimTasksAsync)
                ? Rebuilt((Task<IReadOnlyList<TaskRun>>)result!)
                : result;
        }

        // Records with their tokens, in a plain list: what the SQL stores answer.
        private async Task<IReadOnlyList<TaskRun>> Rebuilt(Task<IReadOnlyList<TaskRun>> claim)
        {
            var tasks = await claim;
            var list = new List<TaskRun>();
            for (var i = 0; i < tasks.Count; i++)
                list.Add(tasks is LeaseFreeClaim apart ? tasks[i] with { LeaseToken = apart.LeaseTokens[i] } : tasks[i]);
            return list;
        }
    }

    [TestCase(true, 2)]
    [TestCase(false, 0)]
    public async Task ClaimAsync_EngineFairnessSetting_DecidesWhetherTheInProcessClaimIsShared(bool enabled, int quietTasks)
    {
        var engine = new EngineOptions();
        engine.Fairness.Enabled = enabled;
        var front = new ExecutorFront(_store, _time, Options.Create(engine));
        for (var i = 0; i < 6; i++) await _client.CreateRunAsync(new RunSpec { OrgId = "noisy", Tasks = [new TaskSpec { Type = "work" }] });
        for (var i = 0; i < 2; i++) await _client.CreateRunAsync(new RunSpec { OrgId = "quiet", Tasks = [new TaskSpec { Type = "work" }] });

        var claimed = await front.ClaimAsync(new ClaimTasksParams { ExecutorId = "e1", Max = 4, LeaseDuration = Lease }, ExecutorProtocol.InProcess, CancellationToken.None);

        Assert.That(claimed.Count(c => c.Task.OrgId == "quiet"), Is.EqualTo(quietTasks));
    }

    [Test]
    public void Validate_FairnessWeightOutOfRange_NamesTheOrg()
    {
        var engine = new EngineOptions();
        engine.Fairness.Weights["acme"] = 0;

        Assert.That(engine.Validate(), Does.Contain("Fairness:Weights[\"acme\"]"));
    }

    [Test]
    public async Task CompleteAsync_StaleLease_IsRefusedAndTaskKeepsRunning()
    {
        await CreateRunsAsync(1);
        var (task, lease) = (await ClaimAsync(max: 1))[0];
        var stale = lease with { LeaseToken = Guid.NewGuid() };

        var result = (await _front.CompleteAsync([new TaskCompletion(stale, null)], ExecutorReport.InProcess, CancellationToken.None))[0];

        Assert.That(result.Applied, Is.False);
        Assert.That((await _store.GetTaskAsync(Org.DefaultId, task.Id, CancellationToken.None))!.Status, Is.EqualTo(TaskRunStatus.Running));
        var applied = (await _front.CompleteAsync([new TaskCompletion(lease, null)], ExecutorReport.InProcess, CancellationToken.None))[0];
        Assert.That(applied, Is.EqualTo(new TaskWriteResult(task.Id, true, TaskRunStatus.Completed)));
    }

    [Test]
    public async Task HeartbeatAsync_RunCancelled_OutcomeCancelled()
    {
        var runId = (await CreateRunsAsync(1))[0];
        var (_, lease) = (await ClaimAsync(max: 1))[0];
        await _client.CancelRunAsync(Org.DefaultId, runId);

        var results = await _front.HeartbeatAsync([lease], Lease, CancellationToken.None);

        Assert.That(results.Single().Outcome, Is.EqualTo(HeartbeatOutcome.Cancelled));
    }

    [Test]
    public async Task HeartbeatAsync_HeldLease_ExtendsIt()
    {
        await CreateRunsAsync(1);
        var (_, lease) = (await ClaimAsync(max: 1))[0];
        _time.Advance(TimeSpan.FromSeconds(30));

        var result = (await _front.HeartbeatAsync([lease], Lease, CancellationToken.None)).Single();

        Assert.That(result.Outcome, Is.EqualTo(HeartbeatOutcome.Extended));
        Assert.That(result.LeaseExpiresAt, Is.EqualTo(_time.GetUtcNow() + Lease));
    }

    [Test]
    public async Task LeaseOf_RunningTask_GivesTheHoldersLeaseOnlyToTheHolder()
    {
        await CreateRunsAsync(1);
        var (claimedTask, lease) = (await ClaimAsync(max: 1))[0];
        var task = (await _store.GetTaskAsync(Org.DefaultId, claimedTask.Id, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(_front.LeaseOf(task, "e1"), Is.EqualTo(lease));
            Assert.That(_front.LeaseOf(task, executorId: null), Is.EqualTo(lease));
            Assert.That(_front.LeaseOf(task, "someone-else"), Is.Null);
        });
    }

    [Test]
    public async Task LeaseOf_FinishedTask_IsNull()
    {
        await CreateRunsAsync(1);
        var (claimedTask, lease) = (await ClaimAsync(max: 1))[0];
        await _front.CompleteAsync([new TaskCompletion(lease, null)], ExecutorReport.InProcess, CancellationToken.None);
        var task = (await _store.GetTaskAsync(Org.DefaultId, claimedTask.Id, CancellationToken.None))!;

        Assert.That(_front.LeaseOf(task, "e1"), Is.Null);
    }

    [Test]
    public async Task FailTimedOutAsync_HeldLease_FailsForGoodWithoutRetry()
    {
        await CreateRunsAsync(1, RetryPolicy.Default);
        var (task, lease) = (await ClaimAsync(max: 1))[0];

        var result = await _front.FailTimedOutAsync(lease, JsonDefaults.ErrorJson("timed out"), CancellationToken.None);

        Assert.That(result, Is.EqualTo(new TaskWriteResult(task.Id, true, TaskRunStatus.Failed)));
    }

    [Test]
    public async Task ReleaseAsync_HeldLease_TaskIsClaimableAgain()
    {
        await CreateRunsAsync(1);
        var (task, lease) = (await ClaimAsync(max: 1))[0];

        Assert.That(await _front.ReleaseAsync([lease], CancellationToken.None), Is.EqualTo(1));
        var again = await ClaimAsync(max: 1);

        Assert.That(again.Single().Task.Id, Is.EqualTo(task.Id));
        Assert.That(again.Single().Lease, Is.Not.EqualTo(lease));
    }

    [Test]
    public async Task Metrics_TaskProtocolCalls_CountClaimsAndAppliedReportsOnly()
    {
        using var meter = new Measurements();
        await CreateRunsAsync(3);
        var claimed = await ClaimAsync(max: 3, ExecutorProtocol.TaskProtocol);
        var report = new ExecutorReport(ExecutorProtocol.TaskProtocol);

        await _front.CompleteAsync([new TaskCompletion(claimed[0].Lease, null)], report, CancellationToken.None);
        await _front.CompleteAsync([new TaskCompletion(claimed[1].Lease with { LeaseToken = Guid.NewGuid() }, null)], report, CancellationToken.None);
        await _front.FailAsync([new TaskFailure(claimed[2].Lease, null, Retryable: false)], report, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(meter.Sum("orchestration.tasks.claimed"), Is.EqualTo(3));
            Assert.That(meter.Sum("orchestration.tasks.completed"), Is.EqualTo(1), "the refused stale report changed nothing");
            Assert.That(meter.Sum("orchestration.tasks.failed"), Is.EqualTo(1));
            Assert.That(meter.Sum("orchestration.jobs.claimed"), Is.Zero);
        });
    }

    [Test]
    public async Task Metrics_JobQueueReport_CountsTheJobAndItsDuration()
    {
        using var meter = new Measurements();
        await CreateRunsAsync(1);
        var (task, lease) = (await ClaimAsync(max: 1, ExecutorProtocol.JobQueue))[0];
        _time.Advance(TimeSpan.FromSeconds(42));

        await _front.CompleteAsync([new TaskCompletion(lease, null)], new ExecutorReport(ExecutorProtocol.JobQueue, task.StartedAt), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(meter.Sum("orchestration.jobs.claimed"), Is.EqualTo(1));
            Assert.That(meter.Sum("orchestration.jobs.completed"), Is.EqualTo(1));
            Assert.That(meter.Sum("orchestration.job.duration"), Is.EqualTo(42));
            Assert.That(meter.Sum("orchestration.tasks.completed"), Is.Zero);
        });
    }

    [Test]
    public async Task Metrics_InProcessCalls_AddToNoProtocolCounter()
    {
        using var meter = new Measurements();
        await CreateRunsAsync(2);
        var claimed = await ClaimAsync(max: 2);

        await _front.CompleteAsync([new TaskCompletion(claimed[0].Lease, null)], ExecutorReport.InProcess, CancellationToken.None);
        await _front.FailAsync([new TaskFailure(claimed[1].Lease, null)], ExecutorReport.InProcess, CancellationToken.None);

        Assert.That(meter.ProtocolTotal, Is.Zero);
    }

    private async Task<IReadOnlyList<Guid>> CreateRunsAsync(int count, RetryPolicy? retry = null)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var run = await _client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = $"t{i}", Type = "work", RetryPolicy = retry }] });
            ids.Add(run.Run.Id);
        }

        return ids;
    }

    private Task<IReadOnlyList<LeasedTask>> ClaimAsync(int max, ExecutorProtocol protocol = ExecutorProtocol.InProcess) =>
        _front.ClaimAsync(new ClaimTasksParams { ExecutorId = "e1", Types = ["work"], Max = max, LeaseDuration = Lease }, protocol, CancellationToken.None);

    // Sums what the Orchestration meter's instruments record while it listens.
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, double> _sums = new(StringComparer.Ordinal);

        public Measurements()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == OrchestrationMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Add(instrument.Name, value));
            _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => Add(instrument.Name, value));
            _listener.Start();
        }

        // The executor protocols' instruments; creating runs adds to others.
        public double ProtocolTotal
        {
            get
            {
                lock (_sums) return _sums.Where(s => s.Key.StartsWith("orchestration.jobs.", StringComparison.Ordinal) && s.Key != "orchestration.jobs.submitted"
                    || s.Key is "orchestration.tasks.claimed" or "orchestration.tasks.completed" or "orchestration.tasks.failed" or "orchestration.job.duration").Sum(s => s.Value);
            }
        }

        public double Sum(string instrument)
        {
            lock (_sums) return _sums.GetValueOrDefault(instrument);
        }

        public void Dispose() => _listener.Dispose();

        private void Add(string name, double value)
        {
            lock (_sums) _sums[name] = _sums.GetValueOrDefault(name) + value;
        }
    }
}
