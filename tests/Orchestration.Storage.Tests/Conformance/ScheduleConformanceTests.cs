using Microsoft.Extensions.Logging.Abstractions;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Cron schedules: the store operations, and the leader's firing pass over them on the fake clock (time zones, DST,
/// misfire after downtime, pause and resume, once per fire time).
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class ScheduleConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static readonly RunSpec Nightly = new() { Name = "nightly", Tasks = [new TaskSpec { Name = "work", Type = "work" }] };

    private IScheduleClient ScheduleClient => new ScheduleClient(Schedules, (IStoreBackedClient)Client, new ScheduleSignal(), Time);

    private ScheduleFiring Firing => new(Schedules, (IStoreBackedClient)Client, [], Time, NullLogger<ScheduleFiring>.Instance);

    private Task<Schedule> UpsertAsync(string cron, string zone = "UTC", MisfirePolicy misfire = MisfirePolicy.RunOnce, int cap = 10, string name = "s", string org = Org) =>
        ScheduleClient.UpsertScheduleAsync(new ScheduleSpec { OrgId = org, Name = name, Cron = cron, TimeZone = zone, Misfire = misfire, CatchUpLimit = cap, Run = Nightly });

    private async Task<int> AdvanceToAndFireAsync(DateTimeOffset at)
    {
        Time.Advance(at - Time.GetUtcNow());
        return await Firing.FireDueAsync(CancellationToken.None);
    }

    // Moves the clock from one fire time to the next, as an idle leader sleeps, firing each; returns the fire times.
    private async Task<List<DateTimeOffset>> FireEachUntilAsync(DateTimeOffset until, string name = "s")
    {
        var fired = new List<DateTimeOffset>();
        while (await Schedules.NextScheduleFireAtAsync(CancellationToken.None) is { } next && next <= until)
        {
            Assert.That(await AdvanceToAndFireAsync(next), Is.EqualTo(1), $"fire at {next:O}");
            fired.Add((await ScheduleClient.GetScheduleAsync(Org, "embedded", name))!.LastFiredAt!.Value);
        }

        return fired;
    }

    private async Task<int> ClaimableRunsAsync() => (await ClaimAsync(1000)).Select(t => t.RunId).Distinct().Count();

    [Test]
    public async Task UpsertSchedule_SameNameAgain_ReplacedKeepingIdAndCreationTime()
    {
        var first = await UpsertAsync("0 3 * * *");
        Time.Advance(TimeSpan.FromMinutes(1));
        var second = await UpsertAsync("0 4 * * *", "Europe/Berlin", MisfirePolicy.CatchUp, 3);

        Assert.That((second.Id, second.CreatedAt), Is.EqualTo((first.Id, first.CreatedAt)));
        Assert.That((second.Cron, second.TimeZone, second.Misfire, second.CatchUpLimit), Is.EqualTo(("0 4 * * *", "Europe/Berlin", MisfirePolicy.CatchUp, 3)));
        // 04:00 in Berlin in January is 03:00 UTC, and the clock is at 2026-01-01 12:01 UTC.
        Assert.That(second.NextFireAt, Is.EqualTo(new DateTimeOffset(2026, 1, 2, 3, 0, 0, TimeSpan.Zero)));
        Assert.That(await Schedules.ListSchedulesAsync(Org, null, CancellationToken.None), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ListSchedules_SchedulesOfTwoOrgs_EachOrgSeesOnlyItsOwn()
    {
        await UpsertAsync("0 3 * * *", name: "mine");
        await UpsertAsync("0 3 * * *", name: "theirs", org: OtherOrg);

        var mine = await Schedules.ListSchedulesAsync(Org, null, CancellationToken.None);

        Assert.That(mine.Select(s => s.Name), Is.EqualTo(new[] { "mine" }));
        Assert.That(await Schedules.GetScheduleAsync(Org, "embedded", "theirs", CancellationToken.None), Is.Null);
        Assert.That(await Schedules.DeleteScheduleAsync(Org, "embedded", "theirs", CancellationToken.None), Is.False);
    }

    [Test]
    public async Task FireDue_DailyScheduleAtItsTime_OneRunOfTheStoredSpecAndTheNextTimeTomorrow()
    {
        await UpsertAsync("0 3 * * *");
        var at = new DateTimeOffset(2026, 1, 2, 3, 0, 0, TimeSpan.Zero);

        Assert.That(await AdvanceToAndFireAsync(at - TimeSpan.FromSeconds(1)), Is.Zero, "fired early");
        Assert.That(await AdvanceToAndFireAsync(at), Is.EqualTo(1));

        var claimed = await ClaimAsync();
        Assert.That(claimed.Select(t => t.Name), Is.EqualTo(new[] { "work" }));
        Assert.That((await RunAsync(claimed[0].RunId)).Name, Is.EqualTo("nightly"));
        var schedule = await Schedules.GetScheduleAsync(Org, "embedded", "s", CancellationToken.None);
        Assert.That((schedule!.LastFiredAt, schedule.NextFireAt), Is.EqualTo(((DateTimeOffset?)at, (DateTimeOffset?)at.AddDays(1))));
    }

    [Test]
    public async Task FireDue_TwoPassesAtTheSameInstant_SecondCreatesNothing()
    {
        await UpsertAsync("0 3 * * *");
        var at = new DateTimeOffset(2026, 1, 2, 3, 0, 0, TimeSpan.Zero);

        var first = await AdvanceToAndFireAsync(at);
        var second = await Firing.FireDueAsync(CancellationToken.None);

        Assert.That((first, second), Is.EqualTo((1, 0)));
        Assert.That(await ClaimableRunsAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task FireSchedule_FireTimeAlreadyRecorded_NoSecondRunEvenWhenTheFenceHolds()
    {
        var schedule = await UpsertAsync("0 3 * * *");
        var at = schedule.NextFireAt!.Value;
        await AdvanceToAndFireAsync(at);
        var current = (await Schedules.GetScheduleAsync(Org, "embedded", "s", CancellationToken.None))!;

        // A host that believes `at` is still to fire, with the fence it would read now: only the fire record stops it.
        var again = await Schedules.FireScheduleAsync(new FireScheduleParams
        {
            ScheduleId = schedule.Id,
            ExpectedNextFireAt = current.NextFireAt!.Value,
            Fires = [new ScheduledFire(at, ((IStoreBackedClient)Client).PrepareRuns([Nightly with { OrgId = Org }])[0])],
            NextFireAt = current.NextFireAt,
            Now = Time.GetUtcNow(),
        }, CancellationToken.None);

        Assert.That(again.Applied, Is.True);
        Assert.That(again.Fired, Is.Empty, "a fire time created a second run");
        Assert.That(await ClaimableRunsAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task FireSchedule_StaleNextFireTime_NotAppliedAndNothingWritten()
    {
        var schedule = await UpsertAsync("0 3 * * *");
        var stale = schedule.NextFireAt!.Value - TimeSpan.FromDays(1);
        Time.Advance(TimeSpan.FromDays(1));

        var result = await Schedules.FireScheduleAsync(new FireScheduleParams
        {
            ScheduleId = schedule.Id,
            ExpectedNextFireAt = stale,
            Fires = [new ScheduledFire(stale, ((IStoreBackedClient)Client).PrepareRuns([Nightly with { OrgId = Org }])[0])],
            NextFireAt = schedule.NextFireAt.Value.AddDays(5),
            Now = Time.GetUtcNow(),
        }, CancellationToken.None);

        Assert.That(result.Applied, Is.False);
        Assert.That(await ClaimableRunsAsync(), Is.Zero);
        Assert.That((await Schedules.GetScheduleAsync(Org, "embedded", "s", CancellationToken.None))!.NextFireAt, Is.EqualTo(schedule.NextFireAt));
    }

    [TestCase(MisfirePolicy.Skip, 0)]
    [TestCase(MisfirePolicy.RunOnce, 1)]
    [TestCase(MisfirePolicy.CatchUp, 3)]
    public async Task FireDue_HourlyScheduleAfterFiveHoursDown_MisfirePolicyDecidesTheRuns(MisfirePolicy policy, int runs)
    {
        await UpsertAsync("0 * * * *", misfire: policy, cap: 3);

        // Down from 12:00 to 17:30: 13:00 to 17:00 were missed.
        var fired = await AdvanceToAndFireAsync(Time.GetUtcNow() + TimeSpan.FromHours(5.5));

        Assert.That(fired, Is.EqualTo(runs));
        Assert.That(await ClaimableRunsAsync(), Is.EqualTo(runs));
        var schedule = await Schedules.GetScheduleAsync(Org, "embedded", "s", CancellationToken.None);
        Assert.That(schedule!.NextFireAt, Is.EqualTo(new DateTimeOffset(2026, 1, 1, 18, 0, 0, TimeSpan.Zero)), "the schedule did not continue with the next time to come");
        if (runs > 0) Assert.That(schedule.LastFiredAt, Is.EqualTo(new DateTimeOffset(2026, 1, 1, 17, 0, 0, TimeSpan.Zero)), "not the latest missed times");
    }

    [Test]
    public async Task FireDue_DailyAt0230BerlinAcrossSpringForward_OnceThatDayAtTheJump()
    {
        Time.SetUtcNow(new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero));
        await UpsertAsync("30 2 * * *", "Europe/Berlin");

        var fired = await FireEachUntilAsync(new DateTimeOffset(2026, 3, 31, 0, 0, 0, TimeSpan.Zero));

        // 02:30 does not exist on 29 March 2026 (02:00 CET jumps to 03:00 CEST): it fires once, at the jump (01:00 UTC).
        Assert.That(fired, Is.EqualTo(new[]
        {
            new DateTimeOffset(2026, 3, 28, 1, 30, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 30, 0, 30, 0, TimeSpan.Zero),
        }));
    }

    [Test]
    public async Task FireDue_DailyAt0230BerlinAcrossFallBack_OnceThatDayAtTheFirstOccurrence()
    {
        Time.SetUtcNow(new DateTimeOffset(2026, 10, 23, 12, 0, 0, TimeSpan.Zero));
        await UpsertAsync("30 2 * * *", "Europe/Berlin");

        var fired = await FireEachUntilAsync(new DateTimeOffset(2026, 10, 27, 0, 0, 0, TimeSpan.Zero));

        // 02:30 happens twice on 25 October 2026 (03:00 CEST goes back to 02:00 CET): it fires once, at the first (00:30 UTC).
        Assert.That(fired, Is.EqualTo(new[]
        {
            new DateTimeOffset(2026, 10, 24, 0, 30, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 10, 26, 1, 30, 0, TimeSpan.Zero),
        }));
    }

    [Test]
    public async Task FireDue_PausedScheduleThenResumedAfterFiveHours_NothingWhilePausedOneRunAfter()
    {
        await UpsertAsync("0 * * * *");
        await ScheduleClient.PauseScheduleAsync(Org, "embedded", "s");

        var whilePaused = await AdvanceToAndFireAsync(Time.GetUtcNow() + TimeSpan.FromHours(5.5));
        Assert.That(await Schedules.NextScheduleFireAtAsync(CancellationToken.None), Is.Null, "a paused schedule is due");
        var resumed = await ScheduleClient.ResumeScheduleAsync(Org, "embedded", "s");
        var afterResume = await Firing.FireDueAsync(CancellationToken.None);

        Assert.That(resumed!.Paused, Is.False);
        Assert.That((whilePaused, afterResume), Is.EqualTo((0, 1)), "the paused period's times fired as a storm, or not under the misfire policy");
        Assert.That(await ClaimableRunsAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task DeleteSchedule_BeforeItsTime_NeverFires()
    {
        var schedule = await UpsertAsync("0 3 * * *");

        Assert.That(await ScheduleClient.DeleteScheduleAsync(Org, "embedded", "s"), Is.True);
        var fired = await AdvanceToAndFireAsync(schedule.NextFireAt!.Value.AddDays(2));

        Assert.That(fired, Is.Zero);
        Assert.That(await Schedules.NextScheduleFireAtAsync(CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task FireDue_SecondsField_FiresEveryMatchingSecond()
    {
        await UpsertAsync("*/20 * * * * *");

        var fired = await FireEachUntilAsync(Time.GetUtcNow() + TimeSpan.FromMinutes(1));

        Assert.That(fired, Has.Count.EqualTo(3));
        Assert.That(fired.Zip(fired.Skip(1), (a, b) => b - a), Is.All.EqualTo(TimeSpan.FromSeconds(20)));
    }
}
