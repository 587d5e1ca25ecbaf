using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Postgres;

// Unique keys across hosts: the conformance suite races enqueuers on one store; here each enqueuer is its own store
// (its own pool and connections), as separate hosts sharing one database are.
public sealed class PostgresUniqueWorkTests
{
    [Test]
    public async Task CreateRun_EightStoresRaceOneKey_ExactlyOneRunCreated()
    {
        await using var schema = await PgSchema.CreateAsync();
        var clients = new List<IOrchestrationClient>();
        for (var i = 0; i < 8; i++) clients.Add(PgSchema.Client(await schema.StoreAsync(TimeProvider.System)));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var racing = clients.Select(c => Task.Run(async () =>
        {
            await start.Task;
            return await c.CreateRunAsync(new RunSpec { Family = "jobs", Unique = new UniqueRule { Key = "one" }, Tasks = [new TaskSpec { Type = "work" }] });
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(racing);

        Assert.That(results.Count(r => r.Created), Is.EqualTo(1));
        Assert.That(results.Select(r => r.Run.Id).Distinct().Count(), Is.EqualTo(1));
        Assert.That((await clients[0].Queries.ListRunsAsync(new RunQuery { OrgId = Domain.Org.DefaultId }, CancellationToken.None)).Total, Is.EqualTo(1));
    }

    [Test]
    public async Task CreateRuns_TwoStoresTakeTheSameKeysInOppositeOrder_NoDeadlockAndOneRunPerKey()
    {
        await using var schema = await PgSchema.CreateAsync();
        var a = PgSchema.Client(await schema.StoreAsync(TimeProvider.System));
        var b = PgSchema.Client(await schema.StoreAsync(TimeProvider.System));
        static RunSpec Spec(string key) => new() { Family = "jobs", Unique = new UniqueRule { Key = key }, Tasks = [new TaskSpec { Type = "work" }] };
        var keys = Enumerable.Range(0, 20).Select(i => "k" + i).ToList();

        var forward = Task.Run(() => a.CreateRunsAsync(keys.Select(Spec).ToList()));
        var backward = Task.Run(() => b.CreateRunsAsync(keys.AsEnumerable().Reverse().Select(Spec).ToList()));
        var results = (await forward).Concat(await backward).ToList();

        Assert.That(results.Count(r => r.Created), Is.EqualTo(keys.Count));
        Assert.That(results.Select(r => r.Run.Id).Distinct().Count(), Is.EqualTo(keys.Count));
    }
}
