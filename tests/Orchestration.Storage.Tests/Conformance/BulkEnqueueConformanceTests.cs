using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// A bulk enqueue large enough to take every store's bulk path (the SQLite writer flushes new rows in stretches, Postgres
/// copies) hands back each run as a later read gives it, and stores each task with every field it was given.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class BulkEnqueueConformanceTests(Backend backend) : ConformanceTest(backend)
{
    // Over two of the SQLite writer's stretches of 512 new rows, and over the Postgres store's COPY threshold.
    private const int Runs = 1_100;

    // Runs at these positions are created empty, so they complete at once; the others have one task.
    private static bool Empty(int i) => i % 100 == 50;

    private static List<RunSpec> Specs() =>
        Enumerable.Range(0, Runs).Select(i => new RunSpec
        {
            OrgId = Org,
            Name = $"bulk-{i}",
            InputJson = $$"""{"run":{{i}}}""",
            Tasks = Empty(i)
                ? []
                : [new TaskSpec { Type = "work", InputJson = $$"""{"n":{{i}}}""", MetadataJson = """{"m":true}""", Priority = i % 3, Timeout = TimeSpan.FromMinutes(5) }],
        }).ToList();

    // The first, the last, both sides of each stretch boundary, and every empty run.
    private static IEnumerable<int> Sampled() =>
        new[] { 0, 1, 511, 512, 513, 1023, 1024, Runs - 1 }.Concat(Enumerable.Range(0, Runs).Where(Empty));

    [Test]
    public async Task CreateRuns_OverManyStretches_ReturnsEachRunAsALaterReadGivesIt()
    {
        var created = await Client.CreateRunsAsync(Specs());

        Assert.That(created, Has.Count.EqualTo(Runs));
        Assert.That(created.All(c => c.Created), Is.True);
        foreach (var i in Sampled())
        {
            var run = created[i].Run;
            Assert.That(await RunAsync(run.Id), Is.EqualTo(run), $"run {i}");
            Assert.That(run.Name, Is.EqualTo($"bulk-{i}"));
            Assert.That(run.TotalTasks, Is.EqualTo(Empty(i) ? 0 : 1));
            Assert.That(run.Status, Is.EqualTo(Empty(i) ? RunStatus.Completed : RunStatus.Pending), $"run {i}");
        }
    }

    [Test]
    public async Task CreateRuns_OverManyStretches_StoresEveryTaskWithItsFields()
    {
        var created = await Client.CreateRunsAsync(Specs());
        var now = Time.GetUtcNow();

        foreach (var i in Sampled().Where(i => !Empty(i)))
        {
            var task = (await Queries.GetRunTasksAsync(Org, created[i].Run.Id, CancellationToken.None)).Single();
            Assert.That((task.Type, task.Name, task.Status, task.Priority), Is.EqualTo(("work", "work", TaskRunStatus.Queued, i % 3)), $"task of run {i}");
            Assert.That((task.InputJson, task.MetadataJson), Is.EqualTo(($$"""{"n":{{i}}}""", """{"m":true}""")));
            Assert.That((task.CreatedAt, task.UpdatedAt, task.QueuedAt), Is.EqualTo((now, now, (DateTimeOffset?)now)));
            Assert.That((task.RetryPolicy, task.Timeout), Is.EqualTo((Policy, (TimeSpan?)TimeSpan.FromMinutes(5))));
            Assert.That((task.Attempt, task.LeaseToken, task.RunId, task.OrgId), Is.EqualTo((0, (Guid?)null, created[i].Run.Id, Org)));
        }

        var total = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, Status = TaskRunStatus.Queued, Limit = 1 }, CancellationToken.None);
        Assert.That(total.Total, Is.EqualTo(Runs - Enumerable.Range(0, Runs).Count(Empty)));
    }

    [Test]
    public async Task ClaimTasks_AfterBulkEnqueue_HandsOutTheTaskWithItsInput()
    {
        var created = await Client.CreateRunsAsync(Specs());

        var claimed = await ClaimAsync(max: 1);

        // Priority 2 first, then age: run 2 is the oldest of the highest priority.
        Assert.That(claimed, Has.Count.EqualTo(1));
        Assert.That((claimed[0].RunId, claimed[0].InputJson, claimed[0].Status), Is.EqualTo((created[2].Run.Id, """{"n":2}""", TaskRunStatus.Running)));
        Assert.That(claimed[0].LeaseToken, Is.Not.Null);
        Assert.That((await TaskAsync(claimed[0].Id)).LeaseToken, Is.EqualTo(claimed[0].LeaseToken));
    }
}
