using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

// A per-key rate holds across hosts: several stores (hosts) sharing one schema claim and complete in parallel, and the
// key's starts in one window never pass its limit. Every host reads the same fake clock, so the test stays in one window
// until it moves the clock itself.
public sealed class PostgresRateLimitTests
{
    private const int Hosts = 4;
    private const int PerWindow = 5;

    [Test]
    public async Task ClaimTasks_FourHostsClaimInParallel_NeverMoreThanMaxStartsPerWindow()
    {
        await using var schema = await PgSchema.CreateAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var stores = new List<PostgresStore>();
        for (var i = 0; i < Hosts; i++) stores.Add(await schema.StoreAsync(time, hostClock: true));
        var client = new OrchestrationClient(stores[0], stores[0], Options.Create(new EngineOptions
        {
            KeyLimits = { new KeyLimit { Key = "api", MaxStarts = PerWindow, Window = TimeSpan.FromMinutes(1) } },
        }));
        await client.CreateRunsAsync([.. Enumerable.Range(0, 40).Select(_ => new RunSpec { OrgId = "org", Tasks = [new TaskSpec { Type = "work", ConcurrencyKey = "api" }] })]);

        async Task<List<TaskRun>> ClaimEverywhereAsync() => (await Task.WhenAll(stores.Select((store, h) => Task.Run(async () =>
        {
            var mine = new List<TaskRun>();
            for (var round = 0; round < 10; round++)
            {
                var batch = await store.ClaimTasksAsync(PgSchema.Claim("host-" + h, max: 2), CancellationToken.None);
                mine.AddRange(batch);
                await store.CompleteTasksAsync(batch.Select(t => new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null)).ToList(), CancellationToken.None);
            }

            return mine;
        })))).SelectMany(c => c).ToList();

        var firstWindow = await ClaimEverywhereAsync();
        time.Advance(TimeSpan.FromMinutes(1));
        var secondWindow = await ClaimEverywhereAsync();

        Assert.That(firstWindow, Has.Count.EqualTo(PerWindow), "starts in the first window");
        Assert.That(secondWindow, Has.Count.EqualTo(PerWindow), "starts in the second window");
        Assert.That(firstWindow.Concat(secondWindow).Select(t => t.Id), Is.Unique, "a task was claimed twice");
    }
}
