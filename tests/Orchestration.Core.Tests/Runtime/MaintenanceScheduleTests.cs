using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Execution;
using Orchestration.Hosting;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Runtime;

public sealed class MaintenanceScheduleTests
{
    private static MaintenanceService Service(MaintenanceOptions options, WorkerOptions? worker = null)
    {
        var time = new FakeTimeProvider();
        return new MaintenanceService(new InMemoryStore(time), new AlwaysLeader(), options, worker ?? new WorkerOptions(), time, NullLogger<MaintenanceService>.Instance);
    }

    [Test]
    public void NextWait_IdlePasses_DoubleUpToIdleIntervalAndBusyPassResets()
    {
        var service = Service(new MaintenanceOptions { Interval = TimeSpan.FromSeconds(1) });
        var waits = new List<TimeSpan>();
        var wait = TimeSpan.FromSeconds(1);
        for (var i = 0; i < 6; i++) waits.Add(wait = service.NextWait(wait, busy: false));

        Assert.That(waits.Select(w => w.TotalSeconds), Is.EqualTo(new[] { 2.0, 4, 8, 10, 10, 10 }));
        Assert.That(service.NextWait(wait, busy: true), Is.EqualTo(TimeSpan.FromSeconds(1)), "a pass that reaped or failed something");
    }

    [Test]
    public void IdleInterval_Default_TenIntervalsButAtMostAThirdOfTheLease()
    {
        Assert.That(Service(new MaintenanceOptions()).IdleInterval, Is.EqualTo(TimeSpan.FromSeconds(10)));
        Assert.That(
            Service(new MaintenanceOptions { Interval = TimeSpan.FromMilliseconds(500) }, new WorkerOptions { LeaseDuration = TimeSpan.FromSeconds(3) }).IdleInterval,
            Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(Service(new MaintenanceOptions { IdleInterval = TimeSpan.FromMinutes(1) }).IdleInterval, Is.EqualTo(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public void Validate_IdleIntervalShorterThanInterval_NamesBothSettings()
    {
        var problem = new MaintenanceOptions { Interval = TimeSpan.FromSeconds(5), IdleInterval = TimeSpan.FromSeconds(1) }.Validate();

        Assert.That(problem, Does.Contain("Maintenance.IdleInterval").And.Contain("Maintenance.Interval"));
    }
}
