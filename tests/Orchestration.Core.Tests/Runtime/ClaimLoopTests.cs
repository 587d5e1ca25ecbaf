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
}
