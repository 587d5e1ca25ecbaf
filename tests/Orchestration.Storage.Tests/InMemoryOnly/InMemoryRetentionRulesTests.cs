using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Hosting;
using Orchestration.Storage.InMemory;

namespace Orchestration.Storage.Tests.InMemoryOnly;

// The in-memory store has two ways of forgetting finished runs, its bound and the retention rules; a run deleted by a
// rule must leave the bound's count, or the bound would evict runs it still has room for.
public sealed class InMemoryRetentionRulesTests
{
    private const string Org = "org-a";

    [Test]
    public async Task DeleteExpiredRuns_RunDeletedByARule_FreesItsPlaceUnderTheFinishedRunBound()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        using var store = new InMemoryStore(time, new InMemoryStoreOptions { MaxFinishedRuns = 2 });
        var client = new OrchestrationClient(store, store, Options.Create(new EngineOptions()));

        async Task<Guid> FinishAsync(string name)
        {
            var run = (await client.CreateRunAsync(new RunSpec { OrgId = Org, Name = name, Tasks = [new TaskSpec { Name = "t", Type = "work" }] })).Run;
            var task = (await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "x", Types = [], Max = 1, LeaseDuration = TimeSpan.FromMinutes(1) }, CancellationToken.None)).Single();
            await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(task.Id, task.LeaseToken!.Value), null)], CancellationToken.None);
            return run.Id;
        }

        var ephemeral = await FinishAsync("ephemeral");
        var first = await FinishAsync("kept");
        var options = new RetentionOptions();
        options.Rules.Add(new RetentionRule { Name = "ephemeral", DeleteOnComplete = true });
        var deleted = await store.DeleteExpiredRunsAsync(options.ToPass(), CancellationToken.None);
        var second = await FinishAsync("kept");

        Assert.That(deleted.TotalRuns, Is.EqualTo(1));
        Assert.That(await store.GetRunAsync(Org, ephemeral, CancellationToken.None), Is.Null);
        Assert.That(await store.GetRunAsync(Org, first, CancellationToken.None), Is.Not.Null, "evicted although the bound had room");
        Assert.That((await store.GetRunAsync(Org, second, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Completed));
    }
}
