using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;

namespace Orchestration.Storage.Tests.Postgres;

/// <summary>Several hosts on one Postgres, each believing it leads: every fire time still creates exactly one run.</summary>
public sealed class PostgresScheduleTests
{
    private static readonly RunSpec Job = new() { Name = "job", Tasks = [new TaskSpec { Name = "work", Type = "work" }] };

    [Test]
    public async Task FireDue_TwoHostsFiringTheSameSchedulesConcurrently_EachFireTimeCreatesOneRun()
    {
        await using var schema = await PgSchema.CreateAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var a = await schema.StoreAsync(time, hostClock: true);
        var b = await schema.StoreAsync(time, hostClock: true);
        var clientA = (IStoreBackedClient)PgSchema.Client(a);
        var clientB = (IStoreBackedClient)PgSchema.Client(b);
        var schedules = new ScheduleClient(a, clientA, new ScheduleSignal(), time);
        for (var i = 0; i < 10; i++)
            await schedules.UpsertScheduleAsync(new ScheduleSpec { Name = $"s{i}", Cron = "*/10 * * * * *", Misfire = MisfirePolicy.CatchUp, CatchUpLimit = 5, Run = Job });
        var firingA = new ScheduleFiring(a, clientA, [], time, NullLogger<ScheduleFiring>.Instance);
        var firingB = new ScheduleFiring(b, clientB, [], time, NullLogger<ScheduleFiring>.Instance);

        var created = 0;
        for (var step = 0; step < 6; step++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            // Both hosts read the same due schedules and race to fire them.
            var fired = await Task.WhenAll(
                Task.Run(() => firingA.FireDueAsync(CancellationToken.None)),
                Task.Run(() => firingB.FireDueAsync(CancellationToken.None)));
            created += fired.Sum();
        }

        // 10 schedules, a fire time every 10 seconds, 60 seconds.
        Assert.That(created, Is.EqualTo(60), "the hosts together created a run per fire time, no more, no fewer");
        await using var count = schema.DataSource.CreateCommand(
            $"SELECT (SELECT count(*) FROM \"{schema.Name}\".runs), (SELECT count(*) FROM \"{schema.Name}\".schedule_fires), " +
            $"(SELECT count(DISTINCT (schedule_id, fire_at)) FROM \"{schema.Name}\".schedule_fires)");
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.That((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)), Is.EqualTo((60L, 60L, 60L)));
    }

    [Test]
    public async Task FireSchedule_TwoHostsWithTheSameFenceAtOnce_OneAppliesTheOtherWritesNothing()
    {
        await using var schema = await PgSchema.CreateAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var a = await schema.StoreAsync(time, hostClock: true);
        var b = await schema.StoreAsync(time, hostClock: true);
        var client = (IStoreBackedClient)PgSchema.Client(a);
        var schedule = await new ScheduleClient(a, client, new ScheduleSignal(), time)
            .UpsertScheduleAsync(new ScheduleSpec { Name = "s", Cron = "0 13 * * *", Run = Job });
        var at = schedule.NextFireAt!.Value;
        time.Advance(at - time.GetUtcNow());

        FireScheduleParams Fire() => new()
        {
            ScheduleId = schedule.Id,
            ExpectedNextFireAt = at,
            Fires = [new ScheduledFire(at, client.PrepareRuns([Job])[0])],
            NextFireAt = at.AddDays(1),
            Now = time.GetUtcNow(),
        };
        var results = await Task.WhenAll(Task.Run(() => a.FireScheduleAsync(Fire(), CancellationToken.None)), Task.Run(() => b.FireScheduleAsync(Fire(), CancellationToken.None)));

        Assert.That(results.Count(r => r.Applied), Is.EqualTo(1));
        Assert.That(results.Sum(r => r.Fired.Count), Is.EqualTo(1));
        await using var count = schema.DataSource.CreateCommand($"SELECT count(*) FROM \"{schema.Name}\".runs");
        Assert.That(await count.ExecuteScalarAsync(), Is.EqualTo(1L));
    }
}
