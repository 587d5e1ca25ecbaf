using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class ScopingConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task Queries_OtherOrgsIds_NotFound()
    {
        var run = await CreateRunAsync(T("a"));
        var task = await ClaimOneAsync();
        await Client.PutRunDataAsync(Org, run.Id, new RunDataSpec { Key = "k", ValueJson = "1" });
        var ct = CancellationToken.None;

        Assert.That(await Queries.GetRunAsync(OtherOrg, run.Id, ct), Is.Null);
        Assert.That(await Queries.GetTaskAsync(OtherOrg, task.Id, ct), Is.Null);
        Assert.That(await Queries.GetRunTasksAsync(OtherOrg, run.Id, ct), Is.Empty);
        Assert.That(await Queries.GetAttemptsAsync(OtherOrg, task.Id, ct), Is.Empty);
        Assert.That(await Queries.GetLatestRunDataAsync(OtherOrg, run.Id, "k", ct), Is.Null);
        Assert.That((await Queries.QueryRunDataAsync(new RunDataQuery { OrgId = OtherOrg, RunId = run.Id, IncludeAll = true }, ct)).Items, Is.Empty);
        Assert.That((await Queries.ListRunsAsync(new RunQuery { OrgId = OtherOrg }, ct)).Total, Is.Zero);
        Assert.That((await Queries.ListTasksAsync(new TaskQuery { OrgId = OtherOrg }, ct)).Total, Is.Zero);
        Assert.That((await Queries.ListTasksAsync(new TaskQuery { OrgId = OtherOrg, RunId = run.Id }, ct)).Total, Is.Zero);
        Assert.That(await Queries.ReadEventsAsync(0, 100, OtherOrg, ct), Is.Empty);
        Assert.That(await Queries.GetRunAsync(Org, run.Id, ct), Is.Not.Null, "the owner still sees it");
    }

    [Test]
    public async Task ListRuns_FiltersSortsAndPages()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, Family = "foreman" })).Run.Id);
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        await CreateRunAsync(T("a"));
        await Client.UpdateRunAsync(new UpdateRunParams { OrgId = Org, RunId = ids[1], Status = RunStatus.Completed });

        var newest = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Family = "foreman", Limit = 2 }, CancellationToken.None);
        var oldest = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Family = "foreman", Limit = 2, Offset = 1, Descending = false }, CancellationToken.None);
        var completed = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Status = RunStatus.Completed, Family = "foreman" }, CancellationToken.None);
        var everything = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Limit = 100 }, CancellationToken.None);

        Assert.That(newest.Items.Select(r => r.Id), Is.EqualTo(new[] { ids[4], ids[3] }));
        Assert.That(newest.Total, Is.EqualTo(5));
        Assert.That(oldest.Items.Select(r => r.Id), Is.EqualTo(new[] { ids[1], ids[2] }));
        Assert.That(completed.Items.Select(r => r.Id), Is.EqualTo(new[] { ids[1] }));
        Assert.That(everything.Total, Is.EqualTo(6));
    }

    [Test]
    public async Task ListTasks_StatusSetNameAndPriorityFilters_MatchExactly()
    {
        var run = await CreateRunAsync(
            new TaskSpec { Name = "a", Type = "x", Priority = 20 },
            new TaskSpec { Name = "b", Type = "x", Priority = 10 },
            new TaskSpec { Name = "c", Type = "x", Priority = 10 });
        var claimed = await ClaimOneAsync("a");
        var ct = CancellationToken.None;

        var waiting = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, Statuses = [TaskRunStatus.Queued, TaskRunStatus.Retrying] }, ct);
        var none = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, Statuses = [] }, ct);
        var byName = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, Name = "b" }, ct);
        var byPriority = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, Priority = 10, Statuses = [TaskRunStatus.Queued], Limit = 0 }, ct);
        var running = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, RunId = run.Id, Statuses = [TaskRunStatus.Running], Priority = 20 }, ct);

        Assert.That(waiting.Items.Select(t => t.Name), Is.EqualTo(new[] { "b", "c" }));
        Assert.That(none.Total, Is.Zero);
        Assert.That(byName.Items.Select(t => t.Name), Is.EqualTo(new[] { "b" }));
        Assert.That(byPriority.Total, Is.EqualTo(2));
        Assert.That(byPriority.Items, Is.Empty);
        Assert.That(running.Items.Select(t => t.Id), Is.EqualTo(new[] { claimed.Id }));
    }

    [Test]
    public async Task ListTasks_FiltersAndPagesOldestFirst()
    {
        var run = await CreateRunAsync(new TaskSpec { Name = "a", Type = "x" }, new TaskSpec { Name = "b", Type = "y" }, new TaskSpec { Name = "c", Type = "x" });
        await CreateRunAsync(T("other"));
        await ClaimAsync(types: ["y"]);

        var ofRun = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, RunId = run.Id, Limit = 2 }, CancellationToken.None);
        var running = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, Status = TaskRunStatus.Running }, CancellationToken.None);
        var ofType = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, Type = "x" }, CancellationToken.None);

        Assert.That(ofRun.Items.Select(t => t.Name), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(ofRun.Total, Is.EqualTo(3));
        Assert.That(running.Items.Select(t => t.Name), Is.EqualTo(new[] { "b" }));
        Assert.That(ofType.Items.Select(t => t.Name), Is.EqualTo(new[] { "a", "c" }));
    }

    [Test]
    public async Task ReadEvents_AfterSequence_ResumesWithoutGapsOrRepeats()
    {
        await CreateRunAsync(T("a"));
        await CreateRunAsync(T("b"));
        var all = await Queries.ReadEventsAsync(0, 1000, null, CancellationToken.None);

        var tail = await Queries.ReadEventsAsync(all[0].Sequence, 1000, null, CancellationToken.None);
        var limited = await Queries.ReadEventsAsync(0, 1, Org, CancellationToken.None);

        Assert.That(all, Has.Count.EqualTo(2));
        Assert.That(tail.Select(e => e.Sequence), Is.EqualTo(all.Skip(1).Select(e => e.Sequence)));
        Assert.That(limited, Has.Count.EqualTo(1));
        Assert.That(all.All(e => e.OrgId == Org && e.Type == EventTypes.RunCreated), Is.True);
    }

    [Test]
    public async Task Identity_OrgsAndKeys_StoredListedAndRevoked()
    {
        var ct = CancellationToken.None;
        var now = Time.GetUtcNow();
        Assert.That(await Identity.CreateOrgAsync(new Org("org-a", "Acme", now), ct), Is.True);
        Assert.That(await Identity.CreateOrgAsync(new Org("org-a", "Again", now), ct), Is.False);
        var key = new ApiKeyRecord
        {
            Id = "k1",
            OrgId = "org-a",
            Name = "ci",
            SecretHash = "hash",
            Permissions = ["runs:read", "tasks:*"],
            CreatedAt = now,
            ExpiresAt = now.AddDays(1),
            RateLimit = 50,
            RateLimitWindowSeconds = 60,
        };
        Assert.That(await Identity.CreateApiKeyAsync(key, ct), Is.True);
        Assert.That(await Identity.CreateApiKeyAsync(key, ct), Is.False);
        await Identity.CreateApiKeyAsync(key with { Id = "k2", OrgId = "org-b" }, ct);

        var found = await Identity.FindApiKeyAsync("k1", ct);
        Assert.That(found, Is.Not.Null);
        Assert.That(found!.Permissions, Is.EqualTo(new[] { "runs:read", "tasks:*" }));
        Assert.That((found.RateLimit, found.RateLimitWindowSeconds, found.ExpiresAt), Is.EqualTo(((int?)50, (int?)60, (DateTimeOffset?)now.AddDays(1))));
        Assert.That((await Identity.GetOrgAsync("org-a", ct))!.Name, Is.EqualTo("Acme"));
        Assert.That((await Identity.ListApiKeysAsync("org-a", ct)).Select(k => k.Id), Is.EqualTo(new[] { "k1" }));
        Assert.That(await Identity.ListApiKeysAsync(null, ct), Has.Count.EqualTo(2));

        Assert.That(await Identity.RevokeApiKeyAsync("k1", ct), Is.True);
        Assert.That(await Identity.RevokeApiKeyAsync("k1", ct), Is.False);
        Assert.That((await Identity.FindApiKeyAsync("k1", ct))!.RevokedAt, Is.EqualTo(now));
        Assert.That(await Identity.ListApiKeysAsync("org-a", ct), Is.Empty);
        Assert.That(await Identity.CountApiKeysAsync(ct), Is.EqualTo(2));
        Assert.That(await Identity.FindApiKeyAsync("nope", ct), Is.Null);
    }

    [Test]
    public async Task Ping_HealthyStore_True()
    {
        Assert.That(await Queries.PingAsync(CancellationToken.None), Is.True);
        Assert.That(Store.Capabilities, Is.Not.Null);
    }
}
