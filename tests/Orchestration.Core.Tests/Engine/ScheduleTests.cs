using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Hosting;
using Orchestration.Storage;

namespace Orchestration.Core.Tests.Engine;

public sealed class ScheduleTests
{
    private static readonly RunSpec Job = new() { Tasks = [new TaskSpec { Type = "work" }] };
    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi = 0) => new(y, mo, d, h, mi, 0, TimeSpan.Zero);

    private static (ServiceProvider Services, FakeTimeProvider Time) Host(Action<IServiceCollection>? more = null)
    {
        var time = new FakeTimeProvider(Utc(2026, 1, 1, 12));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddLogging();
        services.AddOrchestration(o => o.UseInMemory());
        more?.Invoke(services);
        return (services.BuildServiceProvider(), time);
    }

    [TestCase("61 * * * *")]
    [TestCase("not a cron")]
    [TestCase("")]
    public async Task UpsertSchedule_BadCron_ValidationErrorNamingCron(string cron)
    {
        var (services, _) = Host();
        await using var _ = services;
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() =>
            services.GetRequiredService<IScheduleClient>().UpsertScheduleAsync(new ScheduleSpec { Name = "s", Cron = cron, Run = Job }));
        Assert.That(ex!.Field, Is.EqualTo("cron"));
        Assert.That(ex.Message, Does.Contain("cron"));
    }

    [TestCase("Mars/Olympus_Mons")]
    [TestCase("W. Europe Standard Time")]
    [TestCase("")]
    public async Task UpsertSchedule_NotAnIanaTimeZone_ValidationErrorNamingTheZone(string zone)
    {
        var (services, _) = Host();
        await using var _ = services;
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() =>
            services.GetRequiredService<IScheduleClient>().UpsertScheduleAsync(new ScheduleSpec { Name = "s", Cron = "0 3 * * *", TimeZone = zone, Run = Job }));
        Assert.That(ex!.Field, Is.EqualTo("time_zone"));
    }

    [TestCase(0)]
    [TestCase(1001)]
    public async Task UpsertSchedule_CatchUpLimitOutOfRange_ValidationErrorNamingTheLimit(int cap)
    {
        var (services, _) = Host();
        await using var _ = services;
        var ex = Assert.ThrowsAsync<OrchestrationValidationException>(() => services.GetRequiredService<IScheduleClient>().UpsertScheduleAsync(
            new ScheduleSpec { Name = "s", Cron = "0 3 * * *", Misfire = MisfirePolicy.CatchUp, CatchUpLimit = cap, Run = Job }));
        Assert.That((ex!.Field, ex.Message), Is.EqualTo(("catch_up_limit", "catch_up_limit must be between 1 and 1000")));
    }

    [Test]
    public async Task UpsertSchedule_RunWithAnInvalidGraph_RefusedAtUpsertNotAtEachFire()
    {
        var (services, _) = Host();
        await using var _ = services;
        var bad = new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work", DependsOn = ["missing"] }] };

        Assert.ThrowsAsync<OrchestrationValidationException>(() =>
            services.GetRequiredService<IScheduleClient>().UpsertScheduleAsync(new ScheduleSpec { Name = "s", Cron = "0 3 * * *", Run = bad }));
        Assert.That(await services.GetRequiredService<IScheduleClient>().ListSchedulesAsync(Org.DefaultId), Is.Empty);
    }

    [Test]
    public async Task FireDue_FamilyWithAFactory_RunBuiltByTheFactoryForTheFireTime()
    {
        var (services, time) = Host(s => s.AddSingleton<IScheduledRunFactory, StampFactory>());
        await using var _ = services;
        await services.GetRequiredService<IScheduleClient>().UpsertScheduleAsync(new ScheduleSpec { Family = "stamps", Name = "s", Cron = "0 13 * * *" });
        time.Advance(TimeSpan.FromHours(1));

        Assert.That(await services.GetRequiredService<ScheduleFiring>().FireDueAsync(CancellationToken.None), Is.EqualTo(1));

        var claimed = await services.GetRequiredService<IOrchestrationStore>().ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "x", Max = 10, LeaseDuration = TimeSpan.FromMinutes(1) }, CancellationToken.None);
        var run = await services.GetRequiredService<IOrchestrationQueries>().GetRunAsync(Org.DefaultId, claimed.Single().RunId, CancellationToken.None);
        Assert.That((run!.Name, run.Family), Is.EqualTo(("stamp " + Utc(2026, 1, 1, 13).ToString("O"), "stamps")));
    }

    [Test]
    public async Task Pass_LeaderWithAScheduleDueInTenSeconds_SleepsTenSeconds()
    {
        var (services, time) = Host();
        await using var _ = services;
        await services.GetRequiredService<IScheduleClient>().UpsertScheduleAsync(new ScheduleSpec { Name = "s", Cron = "10 0 12 * * *", Run = Job });

        var wait = await Service(services).PassAsync(CancellationToken.None);

        Assert.That(wait, Is.EqualTo(TimeSpan.FromSeconds(10)));
        time.Advance(wait);
        Assert.That(await Service(services).PassAsync(CancellationToken.None), Is.EqualTo(ScheduleFiringService.IdleInterval), "the next fire is tomorrow: the idle wake-up");
        Assert.That((await services.GetRequiredService<IScheduleClient>().GetScheduleAsync(Org.DefaultId, "embedded", "s"))!.LastFiredAt, Is.EqualTo(Utc(2026, 1, 1, 12) + TimeSpan.FromSeconds(10)));
    }

    [Test]
    public async Task Pass_NotLeader_FiresNothingAndWaitsTheIdleInterval()
    {
        var (services, time) = Host(s => s.AddSingleton<ILeaderElector, NeverLeader>());
        await using var _ = services;
        await services.GetRequiredService<IScheduleClient>().UpsertScheduleAsync(new ScheduleSpec { Name = "s", Cron = "0 13 * * *", Run = Job });
        time.Advance(TimeSpan.FromHours(2));

        var wait = await Service(services).PassAsync(CancellationToken.None);

        Assert.That(wait, Is.EqualTo(ScheduleFiringService.IdleInterval));
        Assert.That((await services.GetRequiredService<IScheduleClient>().GetScheduleAsync(Org.DefaultId, "embedded", "s"))!.LastFiredAt, Is.Null);
    }

    [Test]
    public void Due_DailyAt0230NewYorkAcrossSpringForward_OnceAtTheJump()
    {
        var times = CronTimes.Parse("30 2 * * *", "America/New_York");

        // 8 March 2026: 02:00 EST jumps to 03:00 EDT (07:00 UTC); 02:30 does not exist that day.
        Assert.That(times.NextAfter(Utc(2026, 3, 7, 12)), Is.EqualTo(Utc(2026, 3, 8, 7)));
        Assert.That(times.NextAfter(Utc(2026, 3, 8, 7)), Is.EqualTo(Utc(2026, 3, 9, 6, 30)));
    }

    [Test]
    public void Due_DailyAt0130NewYorkAcrossFallBack_OnceAtTheFirstOccurrence()
    {
        var times = CronTimes.Parse("30 1 * * *", "America/New_York");

        // 1 November 2026: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST); only the first fires.
        Assert.That(times.NextAfter(Utc(2026, 10, 31, 12)), Is.EqualTo(Utc(2026, 11, 1, 5, 30)));
        Assert.That(times.NextAfter(Utc(2026, 11, 1, 5, 30)), Is.EqualTo(Utc(2026, 11, 2, 6, 30)));
    }

    [Test]
    public void Due_HourlyNewYorkOnFallBackDay_TwentyFiveFiresOneEachRealHour()
    {
        var times = CronTimes.Parse("0 * * * *", "America/New_York");

        // The local day of 1 November 2026 lasts 25 hours (04:00 UTC to 05:00 UTC the next day): an hourly schedule
        // fires each real hour, 01:00 twice.
        var (fire, _) = times.Due(Utc(2026, 11, 1, 4), Utc(2026, 11, 2, 4, 59), MisfirePolicy.CatchUp, 1000);

        Assert.That(fire, Has.Count.EqualTo(25));
    }

    [Test]
    public void Due_OnTimeFireWithinTheThreshold_FiresWhateverThePolicy()
    {
        var times = CronTimes.Parse("0 * * * *", "UTC");

        var (fire, next) = times.Due(Utc(2026, 1, 1, 13), Utc(2026, 1, 1, 13) + TimeSpan.FromSeconds(30), MisfirePolicy.Skip, 1);

        Assert.That(fire, Is.EqualTo(new[] { Utc(2026, 1, 1, 13) }));
        Assert.That(next, Is.EqualTo(Utc(2026, 1, 1, 14)));
    }

    [Test]
    public void Due_EveryMinuteAfterAYearDown_LatestMissedUpToTheCapThenTheOnTimeOne()
    {
        var times = CronTimes.Parse("0 * * * * *", "UTC");
        var now = Utc(2027, 1, 1, 12) + TimeSpan.FromSeconds(30);

        var (fire, next) = times.Due(Utc(2026, 1, 1, 12), now, MisfirePolicy.CatchUp, 5);

        Assert.That(fire, Is.EqualTo(new[] { Utc(2027, 1, 1, 11, 55), Utc(2027, 1, 1, 11, 56), Utc(2027, 1, 1, 11, 57), Utc(2027, 1, 1, 11, 58), Utc(2027, 1, 1, 11, 59), Utc(2027, 1, 1, 12) }));
        Assert.That(next, Is.EqualTo(Utc(2027, 1, 1, 12, 1)));
    }

    private static ScheduleFiringService Service(ServiceProvider services) =>
        services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<ScheduleFiringService>().Single();

    private sealed class StampFactory : IScheduledRunFactory
    {
        public string Family => "stamps";

        public ValueTask<RunSpec> CreateRunAsync(Schedule schedule, DateTimeOffset fireAt, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Job with { Name = "stamp " + fireAt.ToString("O") });
    }

    private sealed class NeverLeader : ILeaderElector
    {
        public ValueTask<bool> TryLeadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(false);
    }
}

public sealed class ScheduleRegistrationTests
{
    [Test]
    public async Task AddOrchestration_StoreWithoutSchedules_HostStartsAndCreatingAScheduleFailsNamingTheCause()
    {
        var store = new Orchestration.Storage.InMemory.InMemoryStore(TimeProvider.System);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOrchestration(o => o.UseStore("wrapped", s =>
        {
            s.AddSingleton(WithoutSchedules(store));
            s.AddSingleton<IOrchestrationQueries>(store);
            s.AddSingleton<IIdentityStore>(store);
        }));
        await using var provider = services.BuildServiceProvider();

        var firing = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<ScheduleFiringService>().Single();
        Assert.That(await firing.PassAsync(CancellationToken.None), Is.EqualTo(ScheduleFiringService.IdleInterval));
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => provider.GetRequiredService<IScheduleClient>()
            .UpsertScheduleAsync(new ScheduleSpec { Name = "s", Cron = "0 3 * * *", Run = new RunSpec { Tasks = [new TaskSpec { Type = "w" }] } }));
        Assert.That(ex!.Message, Does.Contain("IScheduleStore"));
    }

    // A decorator that forwards the store's commands and, like most decorators, implements nothing else.
    private static IOrchestrationStore WithoutSchedules(IOrchestrationStore inner)
    {
        var proxy = System.Reflection.DispatchProxy.Create<IOrchestrationStore, Forwarder>();
        ((Forwarder)(object)proxy).Target = inner;
        return proxy;
    }

    public class Forwarder : System.Reflection.DispatchProxy
    {
        public object Target { get; set; } = null!;

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) => targetMethod!.Invoke(Target, args);
    }
}
