using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Execution;
using Orchestration.Hosting;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Runtime;

// How idle hosts wait: the claim loop's safety poll and the maintenance loop's sleep when the store knows what is due.
public sealed class IdleWakeUpTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static (MaintenanceService Service, InMemoryStore Store, FakeTimeProvider Time) Service(MaintenanceOptions? options = null)
    {
        var time = new FakeTimeProvider();
        var store = new InMemoryStore(time);
        return (new MaintenanceService(store, new AlwaysLeader(), options ?? new MaintenanceOptions(), new WorkerOptions(), time, NullLogger<MaintenanceService>.Instance), store, time);
    }

    [Test]
    public void IdlePoll_SignalReliable_UsesListeningPollElseShortPoll()
    {
        var options = new WorkerOptions { PollInterval = TimeSpan.FromSeconds(2), ListeningPollInterval = TimeSpan.FromSeconds(60) };
        var signal = new WorkSignal();

        Assert.That(ExecutorRuntime.IdlePoll(options, signal), Is.EqualTo(TimeSpan.FromSeconds(2)), "a signal that may miss wake-ups");
        signal.Reliable = true;
        Assert.That(ExecutorRuntime.IdlePoll(options, signal), Is.EqualTo(TimeSpan.FromSeconds(60)), "a signal that hears every host");
        options.PollInterval = TimeSpan.FromMinutes(5);
        Assert.That(ExecutorRuntime.IdlePoll(options, signal), Is.EqualTo(TimeSpan.FromMinutes(5)), "never shorter than the short poll");
    }

    [Test]
    public void Validate_ListeningPollIntervalNotPositive_NamesTheSetting()
    {
        Assert.That(new WorkerOptions { ListeningPollInterval = TimeSpan.Zero }.Validate(), Does.Contain("Worker.ListeningPollInterval"));
    }

    [Test]
    public void ScheduledWait_DueKnown_SleepsUntilDueWithinIntervalAndScheduledIdleInterval()
    {
        var (service, _, _) = Service(new MaintenanceOptions { Interval = TimeSpan.FromSeconds(1), ScheduledIdleInterval = TimeSpan.FromMinutes(5) });

        Assert.That(service.ScheduledWait(TimeSpan.FromSeconds(42)), Is.EqualTo(TimeSpan.FromSeconds(42)), "the earliest lease expiry or deadline");
        Assert.That(service.ScheduledWait(TimeSpan.Zero), Is.EqualTo(TimeSpan.FromSeconds(1)), "already due: one interval, not a busy loop");
        Assert.That(service.ScheduledWait(null), Is.EqualTo(TimeSpan.FromMinutes(5)), "nothing running, no deadline");
        Assert.That(service.ScheduledWait(TimeSpan.FromHours(3)), Is.EqualTo(TimeSpan.FromMinutes(5)), "a far deadline");
    }

    [Test]
    public void AfterSignal_WorkSignalledDuringLongSleep_WakesWithinIdleInterval()
    {
        var (service, _, time) = Service();
        var now = time.GetUtcNow();

        Assert.That(service.AfterSignal(now + TimeSpan.FromMinutes(4), now), Is.EqualTo(service.IdleInterval));
        Assert.That(service.AfterSignal(now + TimeSpan.FromSeconds(3), now), Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(service.AfterSignal(now - TimeSpan.FromSeconds(1), now), Is.EqualTo(TimeSpan.Zero));
    }

    [Test]
    public async Task SleepUntilDue_NoWorkSignalled_EndsExactlyAtTheDueTime()
    {
        var (service, store, time) = Service();

        var sleep = service.SleepUntilDueAsync(TimeSpan.FromMinutes(2), store.WorkAvailable.Version, CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromMilliseconds(1));
        Assert.That(sleep.IsCompleted, Is.False, "no pass before the earliest expiry");
        time.Advance(TimeSpan.FromMilliseconds(1));

        await sleep.WaitAsync(Bound);
    }

    [Test]
    public async Task SleepUntilDue_WorkSignalledBeforeTheSleep_DoesNotWaitForTheDueTime()
    {
        var (service, store, time) = Service();
        var version = store.WorkAvailable.Version;
        store.WorkAvailable.Notify();

        var sleep = service.SleepUntilDueAsync(TimeSpan.FromMinutes(5), version, CancellationToken.None);
        // The signal came before the wait began, so the wait returns at once and arms only the idle interval.
        time.Advance(service.IdleInterval - TimeSpan.FromMilliseconds(1));
        Assert.That(sleep.IsCompleted, Is.False);
        time.Advance(TimeSpan.FromMilliseconds(1));

        await sleep.WaitAsync(Bound);
    }
}
