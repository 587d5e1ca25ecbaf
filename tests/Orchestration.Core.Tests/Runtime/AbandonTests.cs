using Microsoft.Extensions.DependencyInjection;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;

namespace Orchestration.Core.Tests.Runtime;

/// <summary>A handler that ignores its cancellation token is abandoned after the grace period: lease given up, slot freed, late result refused.</summary>
public sealed class AbandonTests
{
    private static readonly string Org = Domain.Org.DefaultId;
    // Distinct from every other timer the runtime arms (heartbeat 10 s, poll 2 s, lease 30 s), so the test can tell
    // when the grace period starts.
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(7);

    [Test]
    public async Task Runtime_HandlerIgnoresTimeout_AbandonedAfterGraceLateCompletionRefusedAndTaskRetriedOnce()
    {
        TimerWatchingTimeProvider? clock = null;
        await using var h = await RuntimeHarness.StartAsync(
            b => b.AddTaskHandler<StubbornHandler>("stubborn"),
            o => o.Worker.AbandonGracePeriod = Grace,
            changed => clock = new TimerWatchingTimeProvider(RuntimeHarness.Start, changed.Notify));
        var probe = h.Services.GetRequiredService<Probe>();
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "s", Type = "stubborn", Timeout = TimeSpan.FromSeconds(3), MaxRetries = 1 });
        await h.Store.WaitUntilAsync(() => Task.FromResult(probe.Started.Count == 1), "the first attempt to start");

        clock!.Advance(TimeSpan.FromSeconds(3));
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock.Created(Grace) == 1), "the grace period to start");
        clock.Advance(Grace - TimeSpan.FromMilliseconds(1));
        var duringGrace = (await h.Client.Queries.GetRunTasksAsync(Org, runId, CancellationToken.None)).Single();
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await h.Store.WaitUntilAsync(async () => (await h.Client.Queries.GetRunTasksAsync(Org, runId, CancellationToken.None)).Single().Status == TaskRunStatus.Retrying,
            "the abandoned attempt to be failed");

        // The handler finally returns; its completion reaches the store with the old lease and is refused.
        var refusedBefore = h.Runtime.LateResultRefused.Version;
        probe.Gate.SetResult();
        await h.Runtime.LateResultRefused.WaitAsync(refusedBefore, TimeSpan.FromSeconds(20), TimeProvider.System, CancellationToken.None);
        var afterLateResult = (await h.Client.Queries.GetRunTasksAsync(Org, runId, CancellationToken.None)).Single();

        // The retry delay (5 s in the harness's policy) passes; the second attempt completes.
        clock.Advance(TimeSpan.FromSeconds(5));
        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);
        var task = (await h.Client.Queries.GetRunTasksAsync(Org, runId, CancellationToken.None)).Single();
        var attempts = await h.Client.Queries.GetAttemptsAsync(Org, task.Id, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(duringGrace.Status, Is.EqualTo(TaskRunStatus.Running), "abandoned before the grace period ended");
            Assert.That(h.Runtime.LateResultsRefused, Is.EqualTo(1));
            Assert.That(afterLateResult.Status, Is.EqualTo(TaskRunStatus.Retrying), "the late completion applied");
            Assert.That(attempts.Select(a => a.Outcome), Is.EqualTo(new[] { AttemptOutcomes.Failed, AttemptOutcomes.Completed }));
            Assert.That(attempts[0].Error, Does.Contain("abandoned"));
            Assert.That(task.OutputJson, Does.Contain("attempt 2"), "the abandoned attempt's output was kept");
        });
    }

    [Test]
    public async Task Runtime_CancelledRunHandlerIgnoresToken_SlotFreedAfterGraceForTheNextTask()
    {
        TimerWatchingTimeProvider? clock = null;
        await using var h = await RuntimeHarness.StartAsync(
            b =>
            {
                b.AddTaskHandler<StubbornHandler>("stubborn");
                b.AddTaskHandler<RecordHandler>("record");
            },
            o =>
            {
                o.Worker.AbandonGracePeriod = Grace;
                o.Worker.MaxConcurrency = 1;
            },
            changed => clock = new TimerWatchingTimeProvider(RuntimeHarness.Start, changed.Notify));
        var probe = h.Services.GetRequiredService<Probe>();
        var stubborn = await h.CreateRunAsync(new TaskSpec { Name = "s", Type = "stubborn" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(probe.Started.Count == 1), "the stubborn handler to start");
        var next = await h.CreateRunAsync(new TaskSpec { Name = "next", Type = "record" });

        await h.Client.CancelRunAsync(Org, stubborn);
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(Grace) == 1), "the grace period to start");
        var startedDuringGrace = probe.Started.Count;
        clock!.Advance(Grace);
        await h.Store.WaitForRunAsync(next, RunStatus.Completed);

        var refusedBefore = h.Runtime.LateResultRefused.Version;
        probe.Gate.SetResult();
        await h.Runtime.LateResultRefused.WaitAsync(refusedBefore, TimeSpan.FromSeconds(20), TimeProvider.System, CancellationToken.None);
        var cancelled = (await h.Client.Queries.GetRunTasksAsync(Org, stubborn, CancellationToken.None)).Single();

        Assert.Multiple(() =>
        {
            Assert.That(startedDuringGrace, Is.EqualTo(1), "the next task ran while the only slot was still held");
            Assert.That(probe.Started, Does.Contain("next"));
            Assert.That(cancelled.Status, Is.EqualTo(TaskRunStatus.Cancelled), "the late completion applied to a cancelled task");
            Assert.That(h.Runtime.LateResultsRefused, Is.EqualTo(1));
        });
    }

    [Test]
    public void Validate_NegativeGrace_NamesTheSettingAndInfiniteIsAllowed()
    {
        Assert.That(new WorkerOptions { AbandonGracePeriod = TimeSpan.FromSeconds(-1) }.Validate(), Does.Contain("AbandonGracePeriod"));
        Assert.That(new WorkerOptions { AbandonGracePeriod = Timeout.InfiniteTimeSpan }.Validate(), Is.Null);
        Assert.That(new WorkerOptions().AbandonGracePeriod, Is.EqualTo(TimeSpan.FromSeconds(30)));
    }
}

/// <summary>Ignores its cancellation token on the first attempt: waits for the probe's gate whatever happens.</summary>
internal sealed class StubbornHandler(Probe probe) : ITaskHandler<object, string>
{
    public async Task<string> HandleAsync(object input, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Started.Enqueue(context.Task.Name);
        probe.Notify();
        if (context.Task.Attempt == 1) await probe.Gate.Task;
        return $"attempt {context.Task.Attempt}";
    }
}
