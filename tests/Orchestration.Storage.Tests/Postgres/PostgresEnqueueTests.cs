using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

public sealed class PostgresEnqueueTests
{
    [Test]
    public async Task CreateRun_CallerTransactionRolledBack_NoRun()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        Guid runId;
        await using (var conn = await schema.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            var result = await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] }, tx);
            runId = result.Run.Id;
            await tx.RollbackAsync();
        }

        Assert.That(await store.GetRunAsync(Org.DefaultId, runId, CancellationToken.None), Is.Null);
        Assert.That(await store.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task CreateRun_CallerTransactionCommitted_RunExistsAndIsClaimable()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        var client = PgSchema.Client(store);
        Guid runId;
        await using (var conn = await schema.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using (var own = new Npgsql.NpgsqlCommand("CREATE TEMP TABLE caller_rows (x int) ON COMMIT DROP; INSERT INTO caller_rows VALUES (1)", conn, tx))
                await own.ExecuteNonQueryAsync();
            runId = (await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] }, tx)).Run.Id;
            Assert.That(await store.GetRunAsync(Org.DefaultId, runId, CancellationToken.None), Is.Null, "visible before the caller committed");
            await tx.CommitAsync();
        }

        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None);

        Assert.That(await store.GetRunAsync(Org.DefaultId, runId, CancellationToken.None), Is.Not.Null);
        Assert.That(claimed.Select(t => t.RunId), Is.EqualTo(new[] { runId }));
    }
}
