using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

/// <summary>
/// The commit-order gap of sequences: a transaction that drew a lower event sequence can commit after one that drew a
/// higher one. A commit-safe reader must wait for it rather than move its cursor past it.
/// </summary>
public sealed class PostgresEventReadTests
{
    [Test]
    public async Task ReadCommittedEvents_LowerSequenceCommitsLate_NotSkipped()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        var ct = CancellationToken.None;
        await using var conn = await schema.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var late = await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] }, tx);
        var early = await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "b", Type = "work" }] }, ct);

        var whileOpen = await store.ReadCommittedEventsAsync(0, 100, null, ct);
        await tx.CommitAsync();
        var afterCommit = await store.ReadCommittedEventsAsync(whileOpen.Watermark, 100, null, ct);

        Assert.That(whileOpen.Events.Select(e => e.RunId), Does.Not.Contain(early.Run.Id), "the later sequence is held back behind the open one");
        Assert.That(afterCommit.Events.Select(e => e.RunId).Distinct(), Is.EqualTo(new[] { late.Run.Id, early.Run.Id }));
    }

    [Test]
    public async Task ReadCommittedEvents_LowerSequenceRolledBack_PassedOver()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        var ct = CancellationToken.None;
        Run committed;
        await using (var conn = await schema.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] }, tx);
            committed = (await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "b", Type = "work" }] }, ct)).Run;
            Assert.That((await store.ReadCommittedEventsAsync(0, 100, null, ct)).Events, Is.Empty, "held back while the gap may still fill");
            await tx.RollbackAsync();
        }

        var batch = await store.ReadCommittedEventsAsync(0, 100, null, ct);

        Assert.That(batch.Events.Select(e => e.RunId).Distinct(), Is.EqualTo(new[] { committed.Id }));
        Assert.That(batch.Watermark, Is.EqualTo(batch.Events[^1].Sequence));
    }
}
