using Microsoft.Extensions.DependencyInjection;
using Orchestration.Hosting;

namespace Orchestration.Core.Tests.Engine;

public sealed class RegistrationTests
{
    [Test]
    public void AddOrchestration_NoStore_FailsNamingTheFix()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddOrchestration(_ => { }));
        Assert.That(ex!.Message, Does.Contain("UseSqlite"));
    }

    [Test]
    public void AddOrchestration_HeartbeatNotShorterThanLease_FailsNamingBothSettings()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddOrchestration(o =>
        {
            o.UseInMemory();
            o.Worker.HeartbeatInterval = TimeSpan.FromMinutes(1);
        }));
        Assert.That(ex!.Message, Does.Contain("HeartbeatInterval").And.Contain("LeaseDuration"));
    }

    [Test]
    public void AddTaskHandler_NotAHandler_FailsNamingTheType()
    {
        var builder = new ServiceCollection().AddOrchestration(o => o.UseInMemory());

        var ex = Assert.Throws<InvalidOperationException>(() => builder.AddTaskHandler<string>("nope"));
        Assert.That(ex!.Message, Does.Contain("String"));
    }

    [Test]
    public void UseStore_Twice_Fails()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddOrchestration(o => o.UseInMemory().UseInMemory()));
        Assert.That(ex!.Message, Does.Contain("already configured"));
    }
}
