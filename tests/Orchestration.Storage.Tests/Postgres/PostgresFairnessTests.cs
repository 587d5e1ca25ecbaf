using Orchestration.Postgres;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Postgres;

// Fairness across hosts: each store (its own pool and FairShare passes) claims in parallel with the others, as separate
// hosts sharing one database do. Each host shares its own claims, so the bound of one host holds for all of them.
public sealed class PostgresFairnessTests
{
    [Test]
    public async Task ClaimTasks_FourStoresClaimInParallel_QuietOrgClaimedWithinItsBound()
    {
        await using var schema = await PgSchema.CreateAsync();
        var stores = new List<PostgresStore>();
        for (var i = 0; i < 4; i++) stores.Add(await schema.StoreAsync(TimeProvider.System));
        var client = PgSchema.Client(stores[0]);
        await client.CreateRunAsync(new RunSpec { OrgId = "org-a", Tasks = [.. Enumerable.Range(0, 400).Select(i => new TaskSpec { Name = "a" + i, Type = "work" })] });
        await client.CreateRunAsync(new RunSpec { OrgId = "org-b", Tasks = [.. Enumerable.Range(0, 20).Select(i => new TaskSpec { Name = "b" + i, Type = "work" })] });
        var fairness = new FairnessOptions { Enabled = true };

        // Every claim of 4 gives the quiet org 2 (equal weights, each store's first claims), so its 20 tasks need 10
        // claims: three rounds of four parallel claims are 12.
        var claimed = new List<Domain.TaskRun>();
        for (var round = 0; round < 3; round++)
        {
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var racing = stores.Select((s, i) => Task.Run(async () =>
            {
                await start.Task;
                return await s.ClaimTasksAsync(PgSchema.Claim("host-" + i, max: 4) with { Fairness = fairness }, CancellationToken.None);
            })).ToList();
            start.SetResult();
            foreach (var batch in await Task.WhenAll(racing)) claimed.AddRange(batch);
        }

        Assert.That(claimed.Count(t => t.OrgId == "org-b"), Is.EqualTo(20), "every task of the quiet org within twelve claims");
        Assert.That(claimed, Has.Count.EqualTo(48), "no capacity idles");
        Assert.That(claimed.Select(t => t.Id).Distinct().Count(), Is.EqualTo(claimed.Count), "no task claimed twice");
    }
}
