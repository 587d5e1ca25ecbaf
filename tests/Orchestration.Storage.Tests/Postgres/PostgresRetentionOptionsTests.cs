using Microsoft.Extensions.DependencyInjection;
using Orchestration.Hosting;

namespace Orchestration.Storage.Tests.Postgres;

// The store's own retention settings predate Orchestration:Retention and mean the same thing; they must keep working.
public sealed class PostgresRetentionOptionsTests
{
    [Test]
    public void UsePostgres_RetentionPeriod_FillsTheRetentionSettingsLeftUnset()
    {
        RetentionOptions? retention = null;

        new ServiceCollection().AddOrchestration(o =>
        {
            o.UsePostgres("Host=localhost", pg =>
            {
                pg.RetentionPeriod = TimeSpan.FromDays(2);
                pg.RetentionInterval = TimeSpan.FromMinutes(5);
                pg.RetentionBatchSize = 50;
            });
            o.Retention.FailedTtl = TimeSpan.FromDays(30);
            retention = o.Retention;
        });

        Assert.That(retention!.CompletedTtl, Is.EqualTo(TimeSpan.FromDays(2)));
        Assert.That(retention.FailedTtl, Is.EqualTo(TimeSpan.FromDays(30)), "set explicitly, so the store's period does not replace it");
        Assert.That(retention.Interval, Is.EqualTo(TimeSpan.FromMinutes(5)));
        Assert.That(retention.BatchSize, Is.EqualTo(50));
    }

    [Test]
    public void UsePostgres_NoRetentionPeriod_LeavesRetentionAsConfigured()
    {
        RetentionOptions? retention = null;

        new ServiceCollection().AddOrchestration(o =>
        {
            o.UsePostgres("Host=localhost", pg => pg.RetentionBatchSize = 50);
            retention = o.Retention;
        });

        Assert.That(retention!.CompletedTtl, Is.Null);
        Assert.That(retention.FailedTtl, Is.Null);
        Assert.That(retention.BatchSize, Is.EqualTo(new RetentionOptions().BatchSize));
    }
}
