using Microsoft.Extensions.DependencyInjection;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Core.Tests.Runtime;

public sealed class ExecutorRuntimeTests
{
    private static readonly Domain.Org Default = new(Domain.Org.DefaultId, "default", DateTimeOffset.UnixEpoch);

    [Test]
    public async Task Runtime_DiamondGraph_RunsInDependencyOrderAndStoresOutput()
    {
        await using var h = await RuntimeHarness.StartAsync(b =>
        {
            b.AddTaskHandler<GreetHandler>("greet");
        });
        var probe = h.Services.GetRequiredService<Probe>();
        TaskSpec G(string name, params string[] deps) => TaskSpec.Create("greet", new Greeting(name), name) with { DependsOn = deps };

        var runId = await h.CreateRunAsync(G("a"), G("b", "a"), G("c", "a"), G("d", "b", "c"));
        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);

        var order = probe.Started.ToList();
        Assert.That(order.First(), Is.EqualTo("a"));
        Assert.That(order.Last(), Is.EqualTo("d"));
        Assert.That(order, Has.Count.EqualTo(4));
        var d = (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None)).Single(t => t.Name == "d");
        Assert.That(d.OutputJson, Is.EqualTo("""{"message":"hello d","attempt":1}"""));
    }

    [Test]
    public async Task Runtime_HandlerThrows_RetriedAfterPolicyDelayThenCompleted()
    {
        await using var h = await RuntimeHarness.StartAsync(b =>
        {
            b.AddTaskHandler<FlakyHandler>("flaky");
        });
        var probe = h.Services.GetRequiredService<Probe>();

        var runId = await h.CreateRunAsync(new TaskSpec { Name = "f", Type = "flaky" });
        await h.Store.WaitUntilAsync(async () => (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None))[0].Status == TaskRunStatus.Retrying, "the retry");
        Assert.That(probe.Attempts, Has.Count.EqualTo(1), "retried before its delay");

        // The policy's first delay is 5 s; the store's retry timer wakes the idle worker.
        h.Time.Advance(TimeSpan.FromSeconds(5));
        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);

        Assert.That(probe.Attempts.Select(a => a.Attempt), Is.EqualTo(new[] { 1, 2 }));
        var task = (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None))[0];
        var attempts = await h.Client.Queries.GetAttemptsAsync(Default.Id, task.Id, CancellationToken.None);
        Assert.That(attempts.Select(a => a.Outcome), Is.EqualTo(new[] { AttemptOutcomes.Failed, AttemptOutcomes.Completed }));
        Assert.That(attempts[0].Error, Does.Contain("transient"));
    }

    [Test]
    public async Task Runtime_PermanentFailure_FailsAtOnceAndSkipsDependents()
    {
        await using var h = await RuntimeHarness.StartAsync(b =>
        {
            b.AddTaskHandler<PermanentFailureHandler>("bad");
            b.AddTaskHandler<RecordHandler>("record");
        });
        var probe = h.Services.GetRequiredService<Probe>();

        var runId = await h.CreateRunAsync(new TaskSpec { Name = "bad", Type = "bad" }, new TaskSpec { Name = "after", Type = "record", DependsOn = ["bad"] }, new TaskSpec { Name = "side", Type = "record" });
        await h.Store.WaitForRunAsync(runId, RunStatus.Failed);

        Assert.That(probe.Attempts, Has.Count.EqualTo(1));
        Assert.That(probe.Started, Is.EqualTo(new[] { "side" }));
        var tasks = await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None);
        Assert.That(tasks.Single(t => t.Name == "after").Status, Is.EqualTo(TaskRunStatus.Skipped));
        Assert.That(JsonDefaults.ErrorMessage(tasks.Single(t => t.Name == "bad").ErrorJson), Is.EqualTo("bad input"));
    }

    [Test]
    public async Task Runtime_RunCancelled_HandlerTokenFires()
    {
        await using var h = await RuntimeHarness.StartAsync(b =>
        {
            b.AddTaskHandler<BlockingHandler>("block");
        });
        var probe = h.Services.GetRequiredService<Probe>();
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "long", Type = "block" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(!probe.Started.IsEmpty), "the handler to start");

        await h.Client.CancelRunAsync(Default.Id, runId);

        Assert.That(await probe.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo("long"));
        Assert.That((await h.Client.Queries.GetRunAsync(Default.Id, runId, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Cancelled));
    }

    [Test]
    public async Task Runtime_LeaseLostElsewhere_HandlerTokenFiresOnNextHeartbeat()
    {
        await using var h = await RuntimeHarness.StartAsync(b =>
        {
            b.AddTaskHandler<BlockingHandler>("block");
        });
        var probe = h.Services.GetRequiredService<Probe>();
        await h.CreateRunAsync(new TaskSpec { Name = "long", Type = "block" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(!probe.Claimed.IsEmpty), "the handler to start");
        probe.Claimed.TryPeek(out var claimed);

        // Another node reaped the lease and requeued the task; only the next heartbeat can tell this executor. The lease
        // is read from the store: handlers never see it.
        var running = await h.Store.Inner.GetTaskAsync(Default.Id, claimed!.Id, CancellationToken.None);
        await h.Store.Inner.ReleaseTasksAsync([new TaskLease(running!.Id, running.LeaseToken!.Value)], CancellationToken.None);
        await h.Runtime.HeartbeatOnceAsync(CancellationToken.None);

        Assert.That(await probe.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo("long"));
        // The requeued task may already run again here: let it finish, or shutdown waits for it until its bound.
        probe.Gate.SetResult();
    }

    [Test]
    public async Task Runtime_TasksInFlight_HeartbeatsAllLeasesInOneCallAtEachIntervalAndNotBefore()
    {
        var interval = TimeSpan.FromSeconds(7);
        var lease = TimeSpan.FromMinutes(1);
        TimerWatchingTimeProvider? clock = null;
        await using var h = await RuntimeHarness.StartAsync(
            b => b.AddTaskHandler<BlockingHandler>("block"),
            o =>
            {
                o.Worker.HeartbeatInterval = interval;
                o.Worker.LeaseDuration = lease;
            },
            changed => clock = new TimerWatchingTimeProvider(RuntimeHarness.Start, changed.Notify));
        var probe = h.Services.GetRequiredService<Probe>();
        var runId = await h.CreateRunAsync(
            new TaskSpec { Name = "a", Type = "block" }, new TaskSpec { Name = "b", Type = "block" }, new TaskSpec { Name = "c", Type = "block" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(probe.Started.Count == 3), "three handlers to start");
        // The clock moves only once the heartbeat loop waits on it; no other timer of the runtime has this due time.
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(interval) == 1), "the heartbeat loop to wait");

        clock!.Advance(interval - TimeSpan.FromMilliseconds(1));
        Assert.That(h.Store.Heartbeats, Is.Empty, "heartbeat before its interval");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await h.Store.WaitUntilAsync(() => Task.FromResult(h.Store.Heartbeats.Count == 1), "the first heartbeat");
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock.Created(interval) == 2), "the heartbeat loop to wait again");
        clock.Advance(interval);
        await h.Store.WaitUntilAsync(() => Task.FromResult(h.Store.Heartbeats.Count == 2), "the second heartbeat");

        var tasks = await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None);
        probe.Gate.TrySetResult();
        Assert.Multiple(() =>
        {
            Assert.That(h.Store.Heartbeats, Is.EqualTo(new[] { (3, RuntimeHarness.Start + interval), (3, RuntimeHarness.Start + 2 * interval) }),
                "one call per interval carrying every in-flight lease");
            Assert.That(tasks.Select(t => t.LeaseExpiresAt), Is.All.EqualTo(RuntimeHarness.Start + 2 * interval + lease), "leases extended from the last heartbeat");
        });
    }

    [Test]
    public async Task Runtime_TaskTimeout_AttemptFailsWithTimeoutMessage()
    {
        await using var h = await RuntimeHarness.StartAsync(b =>
        {
            b.AddTaskHandler<BlockingHandler>("block");
        });
        var probe = h.Services.GetRequiredService<Probe>();
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "slow", Type = "block", Timeout = TimeSpan.FromSeconds(3), MaxRetries = 0 });
        await h.Store.WaitUntilAsync(() => Task.FromResult(!probe.Started.IsEmpty), "the handler to start");

        h.Time.Advance(TimeSpan.FromSeconds(3));
        await h.Store.WaitForRunAsync(runId, RunStatus.Failed);

        var task = (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None))[0];
        Assert.That(JsonDefaults.ErrorMessage(task.ErrorJson), Does.StartWith("timed out after"));
    }

    [Test]
    public async Task Runtime_MaxConcurrencyTwo_NeverMoreThanTwoHandlersAtOnce()
    {
        await using var h = await RuntimeHarness.StartAsync(
            b =>
            {
                    b.AddTaskHandler<BlockingHandler>("block");
            },
            o => o.Worker.MaxConcurrency = 2);
        var probe = h.Services.GetRequiredService<Probe>();
        var runIds = new List<Guid>();
        for (var i = 0; i < 5; i++) runIds.Add(await h.CreateRunAsync(new TaskSpec { Name = $"t{i}", Type = "block" }));
        await h.Store.WaitUntilAsync(() => Task.FromResult(probe.Started.Count == 2), "two handlers to start");

        var runningTasks = await h.Client.Queries.ListTasksAsync(new TaskQuery { OrgId = Default.Id, Status = TaskRunStatus.Running }, CancellationToken.None);
        Assert.That(runningTasks.Total, Is.EqualTo(2));

        probe.Gate.SetResult();
        foreach (var id in runIds) await h.Store.WaitForRunAsync(id, RunStatus.Completed);
        Assert.That(probe.MaxRunning, Is.EqualTo(2));
        Assert.That(probe.Started, Has.Count.EqualTo(5));
    }

    [Test]
    public async Task Runtime_ChildTaskAndRunData_ChildReadsParentsValue()
    {
        await using var h = await RuntimeHarness.StartAsync(b =>
        {
            b.AddTaskHandler<ParentHandler>("parent");
            b.AddTaskHandler<ChildHandler>("child");
        });

        var runId = await h.CreateRunAsync(new TaskSpec { Name = "parent", Type = "parent" });
        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);

        var tasks = await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None);
        var parent = tasks.Single(t => t.Name == "parent");
        var child = tasks.Single(t => t.Name == "child");
        Assert.That(child.ParentTaskId, Is.EqualTo(parent.Id));
        Assert.That(child.OutputJson, Is.EqualTo("\"from parent\""));
        var entry = await h.Client.Queries.GetLatestRunDataAsync(Default.Id, runId, "greeting", CancellationToken.None);
        Assert.That(entry!.TaskId, Is.EqualTo(parent.Id));
        Assert.That(entry.Tags, Is.EqualTo(new[] { "handoff" }));
    }

    [Test]
    public async Task Runtime_EachAttempt_GetsItsOwnScope()
    {
        await using var h = await RuntimeHarness.StartAsync(b =>
        {
            b.Services.AddScoped<ScopedThing>();
            b.AddTaskHandler<ScopeHandler>("scoped");
        });
        var probe = h.Services.GetRequiredService<Probe>();
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "s", Type = "scoped" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(probe.Scopes.Count == 1), "the first attempt");
        await h.Store.WaitUntilAsync(async () => (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None))[0].Status == TaskRunStatus.Retrying, "the retry");

        h.Time.Advance(TimeSpan.FromSeconds(5));
        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);

        Assert.That(probe.Scopes.Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public async Task Runtime_GracefulShutdown_InFlightHandlerFinishesAndCompletes()
    {
        var h = await RuntimeHarness.StartAsync(b =>
        {
            b.AddTaskHandler<BlockingHandler>("block");
        });
        await using var _ = h;
        var probe = h.Services.GetRequiredService<Probe>();
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "t", Type = "block" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(!probe.Started.IsEmpty), "the handler to start");

        var stopping = h.StopAsync();
        Assert.That(stopping.IsCompleted, Is.False, "shutdown must wait for in-flight work");
        probe.Gate.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.That((await h.Client.Queries.GetRunAsync(Default.Id, runId, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task Runtime_ShutdownTimeoutPassed_HandlerCancelledAndLeaseReleased()
    {
        var h = await RuntimeHarness.StartAsync(
            b =>
            {
                    b.AddTaskHandler<BlockingHandler>("block");
            },
            o => o.Worker.ShutdownTimeout = TimeSpan.Zero);
        await using var _ = h;
        var probe = h.Services.GetRequiredService<Probe>();
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "t", Type = "block" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(!probe.Started.IsEmpty), "the handler to start");

        await h.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.That(probe.Cancelled.Task.IsCompleted, Is.True);
        var task = (await h.Client.Queries.GetRunTasksAsync(Default.Id, runId, CancellationToken.None))[0];
        Assert.That(task.Status, Is.EqualTo(TaskRunStatus.Queued), "the lease was given back for another host");
        var attempts = await h.Client.Queries.GetAttemptsAsync(Default.Id, task.Id, CancellationToken.None);
        Assert.That(attempts.Single().Outcome, Is.EqualTo(AttemptOutcomes.Released));
    }

    [Test]
    public async Task Runtime_FastHandlers_ClaimAheadOfFreeSlotsInOneCall()
    {
        await using var h = await RuntimeHarness.StartAsync(
            b => b.AddTaskHandler<RecordHandler>("fast"),
            o =>
            {
                o.Worker.MaxConcurrency = 2;
                o.Worker.ClaimBatchSize = 50;
            });
        // The first handler's duration is what sizes the read-ahead (zero on the fake clock: fast).
        await h.Store.WaitForRunAsync(await h.CreateRunAsync(new TaskSpec { Name = "warm-up", Type = "fast" }), RunStatus.Completed);

        var runs = await h.Client.CreateRunsAsync(Enumerable.Range(0, 40).Select(i => new RunSpec { Tasks = [new TaskSpec { Name = $"t{i}", Type = "fast" }] }).ToList());
        foreach (var r in runs) await h.Store.WaitForRunAsync(r.Run.Id, RunStatus.Completed);

        Assert.That(h.Store.ClaimSizes.Max(), Is.EqualTo(40), "all 40 ready tasks claimed in one call although only 2 handler slots exist");
    }

    [Test]
    public async Task Runtime_SlowHandlers_ClaimOnlyForFreeSlots()
    {
        await using var h = await RuntimeHarness.StartAsync(
            b => b.AddTaskHandler<SlowHandler>("slow"),
            o =>
            {
                o.Worker.MaxConcurrency = 2;
                o.Worker.ClaimBatchSize = 50;
            });
        await h.Store.WaitForRunAsync(await h.CreateRunAsync(new TaskSpec { Name = "warm-up", Type = "slow" }), RunStatus.Completed);

        var runs = await h.Client.CreateRunsAsync(Enumerable.Range(0, 10).Select(i => new RunSpec { Tasks = [new TaskSpec { Name = $"t{i}", Type = "slow" }] }).ToList());
        foreach (var r in runs) await h.Store.WaitForRunAsync(r.Run.Id, RunStatus.Completed);

        Assert.That(h.Store.ClaimSizes, Has.All.LessThanOrEqualTo(2), "a handler that takes longer than the read-ahead window gets no read-ahead");
        Assert.That(h.Store.ClaimSizes.Sum(), Is.EqualTo(11));
    }
}
