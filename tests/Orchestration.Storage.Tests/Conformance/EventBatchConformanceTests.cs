using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// Claims, completions and failures of many tasks at once, across two orgs, read back every way a consumer reads
/// events: a store that writes one row per batch (Postgres, SQLite) must expand it to exactly the per-transition events
/// a row per event gave, with sequences that resume correctly from any point, the middle of a batch included.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class EventBatchConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private readonly Dictionary<Guid, string> _runs = [];
    private readonly Dictionary<Guid, string> _tasks = [];

    [Test]
    public async Task ReadEvents_BatchesAcrossTwoOrgs_ExactlyThePerTransitionEventsInOrder()
    {
        var phases = await RunScenarioAsync();
        var all = await Queries.ReadEventsAsync(0, 10_000, null, CancellationToken.None);

        Assert.That(all.Select(e => e.Sequence), Is.Ordered.Ascending.And.Unique);
        Assert.That(phases.SelectMany(p => p).Select(e => e.Sequence), Is.EqualTo(all.Select(e => e.Sequence)), "each phase's events follow the previous phase's");
        Assert.Multiple(() =>
        {
            Assert.That(Describe(phases[0]), Is.EquivalentTo(new[] { "run.created a1", "run.created a2", "run.created a3", "run.created b1", "run.created b2" }));
            Assert.That(Describe(phases[1]), Is.EquivalentTo(new[]
            {
                "run.started a1", "run.started a2", "run.started a3", "run.started b1", "run.started b2",
                "task.started a1.x", "task.started a2.x", "task.started a3.x", "task.started b1.x", "task.started b2.x",
            }));
            Assert.That(Describe(phases[2]), Is.EquivalentTo(new[] { "task.completed a1.x", "task.completed a2.x", "task.completed b1.x", "run.completed a1", "run.completed b1" }));
            Assert.That(Describe(phases[3]), Is.EquivalentTo(new[] { "task.retrying a3.x", "task.failed b2.x", "run.failed b2" }));
            Assert.That(Describe(phases[4]), Is.EquivalentTo(new[] { "task.started a2.y", "task.started a3.x" }));
            Assert.That(Describe(phases[5]), Is.EquivalentTo(new[] { "task.completed a2.y", "task.completed a3.x", "run.completed a2", "run.completed a3" }));
        });
        Assert.Multiple(() =>
        {
            Assert.That(RunOf(all, "a1"), Is.EqualTo(new[] { "run.created", "run.started", "task.started x", "task.completed x", "run.completed" }));
            Assert.That(RunOf(all, "a2"), Is.EqualTo(new[] { "run.created", "run.started", "task.started x", "task.completed x", "task.started y", "task.completed y", "run.completed" }));
            Assert.That(RunOf(all, "a3"), Is.EqualTo(new[] { "run.created", "run.started", "task.started x", "task.retrying x", "task.started x", "task.completed x", "run.completed" }));
            Assert.That(RunOf(all, "b1"), Is.EqualTo(new[] { "run.created", "run.started", "task.started x", "task.completed x", "run.completed" }));
            Assert.That(RunOf(all, "b2"), Is.EqualTo(new[] { "run.created", "run.started", "task.started x", "task.failed x", "run.failed" }));
        });
        var started = all.Where(e => e.Type == EventTypes.TaskStarted)
            .Select(e => (_tasks[e.TaskId!.Value], System.Text.Json.JsonDocument.Parse(e.DataJson!).RootElement.GetProperty("attempt").GetInt32())).ToList();
        Assert.That(started, Is.EquivalentTo(new[] { ("a1.x", 1), ("a2.x", 1), ("a3.x", 1), ("b1.x", 1), ("b2.x", 1), ("a2.y", 1), ("a3.x", 2) }),
            "each expanded event keeps its own data");
        var retrying = all.Single(e => e.Type == EventTypes.TaskRetrying);
        Assert.That(System.Text.Json.JsonDocument.Parse(retrying.DataJson!).RootElement.GetProperty("attempt").GetInt32(), Is.EqualTo(1));
        Assert.That(all.Where(e => e.Type is EventTypes.TaskCompleted or EventTypes.RunCreated).All(e => e.DataJson is null), Is.True);
        Assert.That(all.Where(e => e.Type.StartsWith("run.", StringComparison.Ordinal)).All(e => e.TaskId is null), Is.True);
        Assert.That(all.All(e => e.OrgId == (_runs[e.RunId].StartsWith('a') ? Org : OtherOrg)), Is.True, "each event keeps its run's org");
    }

    [Test]
    public async Task ReadEvents_PerOrgAndPerRun_SameEventsAsTheFullReadFiltered()
    {
        await RunScenarioAsync();
        var all = await Queries.ReadEventsAsync(0, 10_000, null, CancellationToken.None);

        foreach (var org in new[] { Org, OtherOrg })
        {
            var mine = await Queries.ReadEventsAsync(0, 10_000, org, CancellationToken.None);
            Assert.That(mine, Is.EqualTo(all.Where(e => e.OrgId == org).ToList()), org);
            Assert.That(await PageAsync(org, 2), Is.EqualTo(mine), "read two at a time");
        }

        foreach (var run in _runs.Keys)
            Assert.That(await EventsAsync(run), Is.EqualTo(all.Where(e => e.RunId == run).ToList()), _runs[run]);
    }

    [Test]
    public async Task ReadEvents_AfterEveryWatermark_ResumesAtTheNextEventInsideABatchToo()
    {
        var phases = await RunScenarioAsync();
        var all = await Queries.ReadEventsAsync(0, 10_000, null, CancellationToken.None);
        // The second of org A's task.started events: written in one statement with the others of its org.
        var mid = phases[1].Where(e => e.Type == EventTypes.TaskStarted && e.OrgId == Org).OrderBy(e => e.Sequence).ElementAt(1).Sequence;

        Assert.That(await Queries.ReadEventsAsync(mid, 10_000, null, CancellationToken.None), Is.EqualTo(all.Where(e => e.Sequence > mid).ToList()));
        Assert.That(await Queries.ReadEventsAsync(mid, 10_000, Org, CancellationToken.None), Is.EqualTo(all.Where(e => e.Sequence > mid && e.OrgId == Org).ToList()));
        foreach (var e in all)
            Assert.That((await Queries.ReadEventsAsync(e.Sequence, 1, null, CancellationToken.None)).SingleOrDefault(),
                Is.EqualTo(all.FirstOrDefault(n => n.Sequence > e.Sequence)), $"after {e.Type} {_runs[e.RunId]}");
        Assert.That(await PageAsync(null, 1), Is.EqualTo(all), "read one at a time");
    }

    [Test]
    public async Task ReadCommittedEvents_PagedAcrossBatches_EveryEventOnceInOrder()
    {
        var phases = await RunScenarioAsync();
        var all = await Queries.ReadEventsAsync(0, 10_000, null, CancellationToken.None);
        var mid = phases[1].Where(e => e.Type == EventTypes.TaskStarted && e.OrgId == Org).OrderBy(e => e.Sequence).ElementAt(1).Sequence;

        foreach (var (org, from, limit) in new[] { ((string?)null, 0L, 3), (Org, 0L, 2), (OtherOrg, 0L, 1), (null, mid, 4), (Org, mid, 1) })
        {
            var (read, watermark) = await EventPaging.ReadCommittedAllAsync(Queries, from, limit, org, CancellationToken.None);

            Assert.That(read, Is.EqualTo(all.Where(e => e.Sequence > from && (org is null || e.OrgId == org)).ToList()), $"org {org ?? "all"} from {from} by {limit}");
            Assert.That(watermark, Is.EqualTo(all[^1].Sequence), "the watermark ends at the last event");
        }
    }

    // Five runs in two orgs, then every transition in batches that span both orgs. Returns the events each phase wrote.
    private async Task<List<List<EngineEvent>>> RunScenarioAsync()
    {
        var phases = new List<List<EngineEvent>>();
        var seen = 0L;
        async Task PhaseAsync()
        {
            var events = (await Queries.ReadEventsAsync(seen, 10_000, null, CancellationToken.None)).ToList();
            if (events.Count > 0) seen = events[^1].Sequence;
            phases.Add(events);
        }

        var created = await Client.CreateRunsAsync(
        [
            new RunSpec { OrgId = Org, Name = "a1", Tasks = [T("x")] },
            new RunSpec { OrgId = Org, Name = "a2", Tasks = [T("x"), T("y", "x")] },
            new RunSpec { OrgId = Org, Name = "a3", Tasks = [T("x")] },
            new RunSpec { OrgId = OtherOrg, Name = "b1", Tasks = [T("x")] },
            new RunSpec { OrgId = OtherOrg, Name = "b2", Tasks = [T("x")] },
        ]);
        foreach (var r in created.Select(c => c.Run))
        {
            _runs[r.Id] = r.Name!;
            foreach (var t in await Queries.GetRunTasksAsync(r.OrgId, r.Id, CancellationToken.None)) _tasks[t.Id] = r.Name + "." + t.Name;
        }

        await PhaseAsync();

        var first = (await ClaimAsync()).ToDictionary(t => _tasks[t.Id]);
        Assert.That(first.Keys, Is.EquivalentTo(new[] { "a1.x", "a2.x", "a3.x", "b1.x", "b2.x" }));
        await PhaseAsync();

        var completed = await Store.CompleteTasksAsync(new[] { "a1.x", "a2.x", "b1.x" }.Select(n => new TaskCompletion(Lease(first[n]), null)).ToList(), CancellationToken.None);
        Assert.That(completed.All(c => c.Applied), Is.True);
        await PhaseAsync();

        var failed = await Store.FailTasksAsync(
        [
            new TaskFailure(Lease(first["a3.x"]), JsonDefaults.ErrorJson("again"), Retryable: true),
            new TaskFailure(Lease(first["b2.x"]), JsonDefaults.ErrorJson("broken"), Retryable: false),
        ], CancellationToken.None);
        Assert.That(failed.All(f => f.Applied), Is.True);
        await PhaseAsync();

        Time.Advance(Policy.InitialDelay);
        var second = (await ClaimAsync()).ToDictionary(t => _tasks[t.Id]);
        Assert.That(second.Keys, Is.EquivalentTo(new[] { "a2.y", "a3.x" }));
        await PhaseAsync();

        Assert.That((await Store.CompleteTasksAsync(second.Values.Select(t => new TaskCompletion(Lease(t), null)).ToList(), CancellationToken.None)).All(c => c.Applied), Is.True);
        await PhaseAsync();
        return phases;
    }

    private async Task<List<EngineEvent>> PageAsync(string? org, int limit)
    {
        var read = new List<EngineEvent>();
        var after = 0L;
        for (var pages = 0; pages < 100; pages++)
        {
            var page = await Queries.ReadEventsAsync(after, limit, org, CancellationToken.None);
            if (page.Count == 0) break;
            read.AddRange(page);
            after = page[^1].Sequence;
        }

        return read;
    }

    private List<string> Describe(IEnumerable<EngineEvent> events) =>
        events.Select(e => e.Type + " " + (e.TaskId is { } t ? _tasks[t] : _runs[e.RunId])).ToList();

    private List<string> RunOf(IEnumerable<EngineEvent> events, string run) =>
        events.Where(e => _runs[e.RunId] == run).Select(e => e.Type + (e.TaskId is { } t ? " " + _tasks[t][(_tasks[t].IndexOf('.', StringComparison.Ordinal) + 1)..] : "")).ToList();
}
