using Microsoft.Extensions.DependencyInjection;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Core.Tests.Runtime;

/// <summary>
/// The runtime's claim loop: it waits for the store's work signal (or the poll interval) while idle, and backs off
/// without giving up while the store fails.
/// </summary>
public sealed class ClaimLoopTests
{
    // Far from every backoff step, so each timer the test waits for is told apart by its due time.
    private static readonly TimeSpan Poll = TimeSpan.FromMinutes(3);

    private static Task<RuntimeHarness> StartAsync(Action<TimerWatchingTimeProvider> clock) =>
        RuntimeHarness.StartAsync(
            b => b.AddTaskHandler<RecordHandler>("record"),
            o =>
            {
                o.Worker.PollInterval = Poll;
                o.Worker.HeartbeatInterval = TimeSpan.FromMinutes(4);
                o.Worker.LeaseDuration = TimeSpan.FromMinutes(10);
            },
            changed =>
            {
                var c = new TimerWatchingTimeProvider(RuntimeHarness.Start, changed.Notify);
                clock(c);
                return c;
            });

    [Test]
    public async Task ClaimLoop_StoreFailsRepeatedly_BackoffDoublesFrom100MsCappedAt10SThenClaims()
    {
        TimerWatchingTimeProvider? clock = null;
        await using var h = await StartAsync(c => clock = c);
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(Poll) == 1), "the idle claim loop to wait for work");
        Assert.That(h.Store.ClaimCalls, Is.EqualTo(1), "an idle loop claims once, then waits");

        h.Store.FailNextClaims(8);
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "a", Type = "record" });
        var calls = 1;
        foreach (var ms in new[] { 100, 200, 400, 800, 1600, 3200, 6400, 10_000 })
        {
            var backoff = TimeSpan.FromMilliseconds(ms);
            await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(backoff) == 1), $"a wait of {backoff} after failed claim {calls}");
            Assert.That(h.Store.ClaimCalls, Is.EqualTo(++calls), "claimed again before the backoff passed");
            clock!.Advance(backoff);
        }

        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);
        Assert.That(
            h.RuntimeLog(Microsoft.Extensions.Logging.LogLevel.Warning).Where(m => m.StartsWith("Claiming tasks failed", StringComparison.Ordinal)),
            Is.EqualTo(new[] { 100, 200, 400, 800, 1600, 3200, 6400, 10_000 }.Select(ms => $"Claiming tasks failed; retrying in {TimeSpan.FromMilliseconds(ms)}")),
            "each failed claim is logged with the wait before the next");
    }

    [Test]
    public async Task ClaimLoop_StoreFailsAfterASuccessfulClaim_BackoffStartsAgainAt100Ms()
    {
        TimerWatchingTimeProvider? clock = null;
        await using var h = await StartAsync(c => clock = c);
        var shortest = TimeSpan.FromMilliseconds(100);
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(Poll) == 1), "the idle claim loop to wait for work");
        h.Store.FailNextClaims(3);
        var first = await h.CreateRunAsync(new TaskSpec { Name = "a", Type = "record" });
        foreach (var ms in new[] { 100, 200, 400 })
        {
            var backoff = TimeSpan.FromMilliseconds(ms);
            await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(backoff) == 1), $"a wait of {backoff}");
            clock!.Advance(backoff);
        }

        await h.Store.WaitForRunAsync(first, RunStatus.Completed);
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(Poll) >= 2), "the claim loop to be idle again");

        h.Store.FailNextClaims(1);
        var second = await h.CreateRunAsync(new TaskSpec { Name = "b", Type = "record" });
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(shortest) == 2), "a wait of 100 ms after the next failure");
        clock!.Advance(shortest);

        await h.Store.WaitForRunAsync(second, RunStatus.Completed);
    }

    [Test]
    public async Task ClaimLoop_IdleWithoutWorkSignal_ClaimsAgainOnlyAfterPollInterval()
    {
        TimerWatchingTimeProvider? clock = null;
        await using var h = await StartAsync(c => clock = c);
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(Poll) == 1), "the idle claim loop to wait for work");

        clock!.Advance(Poll - TimeSpan.FromMilliseconds(1));
        Assert.That(h.Store.ClaimCalls, Is.EqualTo(1), "claimed again before the poll interval");
        clock.Advance(TimeSpan.FromMilliseconds(1));

        await h.Store.WaitUntilAsync(() => Task.FromResult(h.Store.ClaimCalls == 2 && clock.Created(Poll) == 2), "one claim at the poll interval, then the next wait");
    }

    [Test]
    public async Task ClaimLoop_ResultsNotYetDurable_StopsClaimingAtTheUnfinishedCapUntilWritesLand()
    {
        TimerWatchingTimeProvider? clock = null;
        // MaxConcurrency + 2 x ClaimBatchSize + CompletionBatchSize: tasks claimed but not yet durably finished.
        const int cap = 1 + 2 * 2 + 1;
        await using var h = await RuntimeHarness.StartAsync(
            b => b.AddTaskHandler<RecordHandler>("record"),
            o =>
            {
                o.Worker.MaxConcurrency = 1;
                o.Worker.ClaimBatchSize = 2;
                o.Worker.CompletionBatchSize = 1;
                o.Worker.PollInterval = Poll;
                o.Worker.HeartbeatInterval = TimeSpan.FromMinutes(4);
                o.Worker.LeaseDuration = TimeSpan.FromMinutes(10);
            },
            changed => clock = new TimerWatchingTimeProvider(RuntimeHarness.Start, changed.Notify));
        var probe = h.Services.GetRequiredService<Probe>();
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock!.Created(Poll) == 1), "the idle claim loop to wait for work");
        // Claimed so far, as the claim loop saw it each time it began a wait.
        var claimedAtWait = new System.Collections.Concurrent.ConcurrentQueue<int>();
        clock!.Armed = due =>
        {
            if (due == Poll) claimedAtWait.Enqueue(h.Store.ClaimSizes.Sum());
        };
        var writes = h.Store.HoldCompletions();

        var runId = await h.CreateRunAsync(Enumerable.Range(0, cap + 1).Select(i => new TaskSpec { Name = $"t{i}", Type = "record" }).ToArray());
        await h.Store.WaitUntilAsync(
            () => Task.FromResult(probe.Started.Count == cap && h.Store.CompletionCalls == 1 && claimedAtWait.Contains(cap)),
            "the runtime to run as many tasks as its cap allows and wait for room");
        // The wait times out at the poll interval: the loop looks again, finds no room and waits again.
        var waits = clock.Created(Poll);
        clock.Advance(Poll);
        await h.Store.WaitUntilAsync(() => Task.FromResult(clock.Created(Poll) == waits + 1), "the claim loop to wait for room again");

        Assert.That(h.Store.ClaimSizes.Sum(), Is.EqualTo(cap), "claimed past the unfinished cap while no result was durable");
        Assert.That(probe.Started, Has.Count.EqualTo(cap));
        var queued = (await h.Client.Queries.GetRunTasksAsync(Domain.Org.DefaultId, runId, CancellationToken.None)).Where(t => t.Status == TaskRunStatus.Queued);
        Assert.That(queued.Select(t => t.Name), Is.EqualTo(new[] { $"t{cap}" }).AsCollection, "the task over the cap waits in the store for another host");

        writes.SetResult();
        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);
        Assert.That(probe.Started, Has.Count.EqualTo(cap + 1));
    }
}
