using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Core.Tests.Runtime;

/// <summary>What the runtime hands back on shutdown, and what its heartbeat loop does while nothing runs.</summary>
public sealed class RuntimeShutdownTests
{
    private static readonly Domain.Org Default = new(Domain.Org.DefaultId, "default", DateTimeOffset.UnixEpoch);

    // One handler slot with a read-ahead earned by a warm-up task: of three blocking tasks, one runs and two wait in the
    // runtime's buffer.
    private static async Task<(RuntimeHarness Harness, Probe Probe, Guid RunId)> StartWithTwoBufferedAsync(
        TimeSpan? heartbeatInterval = null, Func<Storage.WorkSignal, Microsoft.Extensions.Time.Testing.FakeTimeProvider>? clock = null)
    {
        var h = await RuntimeHarness.StartAsync(
            b =>
            {
                b.AddTaskHandler<RecordHandler>("fast");
                b.AddTaskHandler<BlockingHandler>("block");
            },
            o =>
            {
                o.Worker.MaxConcurrency = 1;
                o.Worker.ClaimBatchSize = 10;
                if (heartbeatInterval is { } interval) o.Worker.HeartbeatInterval = interval;
            },
            clock);
        var probe = h.Services.GetRequiredService<Probe>();
        // A handler that returns at once (no time passes on the fake clock) earns the host a read-ahead.
        await h.Store.WaitForRunAsync(await h.CreateRunAsync(new TaskSpec { Name = "warm-up", Type = "fast" }), RunStatus.Completed);
        var runId = await h.CreateRunAsync(
            new TaskSpec { Name = "a", Type = "block" }, new TaskSpec { Name = "b", Type = "block" }, new TaskSpec { Name = "c", Type = "block" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(probe.Claimed.Count == 1 && h.Store.ClaimSizes.Contains(3)), "one handler to run, two tasks buffered");
        return (h, probe, runId);
    }

    [Test]
    public async Task Shutdown_TasksBufferedAheadOfHandlers_ReleasedUnstartedWhileTheRunningOneFinishes()
    {
        var (h, probe, runId) = await StartWithTwoBufferedAsync();
        await using var _ = h;
        var running = probe.Claimed.Single().Name;

        var stopping = h.StopAsync();
        await h.Store.WaitUntilAsync(
            async () => (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None)).Count(t => t.Status == TaskRunStatus.Queued) == 2,
            "the buffered tasks to be given back");
        Assert.That(stopping.IsCompleted, Is.False, "shutdown waits for the running handler");
        probe.Gate.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));

        var tasks = await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None);
        Assert.That(probe.Claimed.Select(t => t.Name), Is.EqualTo(new[] { running }), "a buffered task started during shutdown");
        Assert.That(tasks.Single(t => t.Name == running).Status, Is.EqualTo(TaskRunStatus.Completed));
        foreach (var t in tasks.Where(t => t.Name != running))
        {
            Assert.That(t.Status, Is.EqualTo(TaskRunStatus.Queued), t.Name);
            var attempts = await h.Client.Queries.GetAttemptsAsync(Default.Id, t.Id, CancellationToken.None);
            Assert.That(attempts.Single().Outcome, Is.EqualTo(AttemptOutcomes.Released), t.Name);
        }
    }

    [Test]
    public async Task Shutdown_BufferedTasksGivenBack_LaterHeartbeatsCarryOnlyTheRunningLease()
    {
        var interval = TimeSpan.FromSeconds(7);
        TimerWatchingTimeProvider? clock = null;
        var (h, probe, runId) = await StartWithTwoBufferedAsync(interval, changed => clock = new TimerWatchingTimeProvider(RuntimeHarness.Start, changed.Notify));
        await using var _ = h;

        var stopping = h.StopAsync();
        await h.Store.WaitUntilAsync(
            async () => (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None)).Count(t => t.Status == TaskRunStatus.Queued) == 2,
            "the buffered tasks to be given back");
        // The heartbeat loop goes on while the running handler finishes: it must not heartbeat leases already given back.
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(interval) >= 1), "the heartbeat loop to wait");
        var beats = h.Store.Heartbeats.Count;
        clock!.Advance(interval);
        await h.Store.WaitUntilAsync(() => Task.FromResult(h.Store.Heartbeats.Count > beats), "a heartbeat during shutdown");

        Assert.That(h.Store.Heartbeats.Last().Leases, Is.EqualTo(1), "heartbeated a lease given back at shutdown");
        probe.Gate.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Test]
    public async Task Shutdown_HandlerIgnoresCancellation_StopWaitsForItAndItsLateResultDoesNotApply()
    {
        var h = await RuntimeHarness.StartAsync(
            b => b.AddTaskHandler<DeafHandler>("deaf"),
            o => o.Worker.ShutdownTimeout = TimeSpan.Zero);
        await using var _ = h;
        var probe = h.Services.GetRequiredService<Probe>();
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "t", Type = "deaf" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(!probe.Started.IsEmpty), "the handler to start");

        var stopping = h.StopAsync();
        await h.Store.WaitUntilAsync(
            async () => probe.Cancelled.Task.IsCompleted
                && (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None))[0].Status == TaskRunStatus.Queued,
            "the handler to be told to stop and its lease to be given back");
        Assert.That(stopping.IsCompleted, Is.False, "stopped while a handler still ran in a scope the runtime owns");

        probe.Gate.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));

        // The late result still went to the store (the writer outlives the handlers), where the lease fence refused it.
        Assert.That(h.Store.CompletionCalls, Is.EqualTo(1), "the late result never reached the store");
        var task = (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None))[0];
        Assert.That(task.Status, Is.EqualTo(TaskRunStatus.Queued), "the late result of a released attempt applied");
        var attempts = await h.Client.Queries.GetAttemptsAsync(Default.Id, task.Id, CancellationToken.None);
        Assert.That(attempts.Single().Outcome, Is.EqualTo(AttemptOutcomes.Released));
    }

    [Test]
    public async Task Shutdown_TimeoutPassedAndReleaseOff_HandlerCancelledAndLeaseLeftToExpire()
    {
        var h = await RuntimeHarness.StartAsync(
            b => b.AddTaskHandler<BlockingHandler>("block"),
            o =>
            {
                o.Worker.ShutdownTimeout = TimeSpan.Zero;
                o.Worker.ReleaseLeasesOnShutdown = false;
            });
        await using var _ = h;
        var probe = h.Services.GetRequiredService<Probe>();
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "t", Type = "block" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(!probe.Started.IsEmpty), "the handler to start");

        await h.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.That(probe.Cancelled.Task.IsCompleted, Is.True);
        var task = (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None))[0];
        Assert.That(h.RuntimeLog(LogLevel.Information), Does.Contain($"Task {task.Id} stopped: shutdown"), "the log says why the handler was stopped");
        Assert.That(task.Status, Is.EqualTo(TaskRunStatus.Running), "the lease stays until it expires");
        var attempts = await h.Client.Queries.GetAttemptsAsync(Default.Id, task.Id, CancellationToken.None);
        Assert.That(attempts.Single().Outcome, Is.Null);
    }

    [Test]
    public async Task HeartbeatLoop_NothingInFlight_NoHeartbeatCall()
    {
        var interval = TimeSpan.FromSeconds(7);
        TimerWatchingTimeProvider? clock = null;
        await using var h = await RuntimeHarness.StartAsync(
            b => b.AddTaskHandler<RecordHandler>("record"),
            o => o.Worker.HeartbeatInterval = interval,
            changed => clock = new TimerWatchingTimeProvider(RuntimeHarness.Start, changed.Notify));
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(interval) == 1), "the heartbeat loop to wait");

        clock!.Advance(interval);
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock.Created(interval) == 2), "the heartbeat loop to wait again");

        Assert.That(h.Store.Heartbeats, Is.Empty, "a heartbeat call without leases");
    }

    [Test]
    public async Task Shutdown_OneHandlerRunningAndOneResultAwaitingItsWrite_DrainLogCountsOnlyTheRunningHandler()
    {
        var h = await RuntimeHarness.StartAsync(
            b =>
            {
                b.AddTaskHandler<RecordHandler>("fast");
                b.AddTaskHandler<BlockingHandler>("block");
            },
            o => o.Worker.ShutdownTimeout = TimeSpan.FromSeconds(30));
        await using var _ = h;
        var probe = h.Services.GetRequiredService<Probe>();
        var writes = h.Store.HoldCompletions();
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "done", Type = "fast" }, new TaskSpec { Name = "busy", Type = "block" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(probe.Started.Count == 2 && h.Store.CompletionCalls == 1), "one handler done with its write held, one running");

        var stopping = h.StopAsync();
        await h.Store.WaitUntilAsync(
            () => Task.FromResult(h.RuntimeLog(LogLevel.Information).Any(m => m.StartsWith("Shutdown: waiting", StringComparison.Ordinal))),
            "the runtime to say what it waits for");

        Assert.That(h.RuntimeLog(LogLevel.Information), Does.Contain("Shutdown: waiting up to 00:00:30 for 1 running tasks"));
        probe.Gate.SetResult();
        writes.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);
    }

    [Test]
    public async Task Shutdown_NothingRunning_NoDrainLog()
    {
        var h = await RuntimeHarness.StartAsync(b => b.AddTaskHandler<RecordHandler>("fast"), o => o.Worker.ExecutorId = "host-1");
        await using var _ = h;
        await h.Store.WaitForRunAsync(await h.CreateRunAsync(new TaskSpec { Name = "t", Type = "fast" }), RunStatus.Completed);

        await h.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.That(h.RuntimeLog(LogLevel.Information), Has.Some.EqualTo("Executor host-1 stopped"));
        Assert.That(h.RuntimeLog(LogLevel.Information).Where(m => m.StartsWith("Shutdown: waiting", StringComparison.Ordinal)), Is.Empty);
    }
}
