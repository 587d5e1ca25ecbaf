using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Hosting;
using Orchestration.Sqlite;

namespace Orchestration.Storage.Tests.Sqlite;

public sealed class SqliteFileTests
{
    private const string Org = "org-a";
    private static readonly RetryPolicy Policy = new(3, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(25), 2.0, 0);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Test]
    [Platform(Exclude = "Win", Reason = "Unix file modes")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Initialize_NewFile_DatabaseWalAndShmAreOwnerOnly()
    {
        using var db = new TempDatabase();
        using (var store = new SqliteStore(db.ConnectionString, _time))
        {
            await store.CreateOrgAsync(new Org(Org, "Org A", _time.GetUtcNow()), CancellationToken.None);

            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                Assert.That(File.Exists(db.Path + suffix), Is.True, suffix);
                Assert.That(File.GetUnixFileMode(db.Path + suffix), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "mode of the database file" + suffix);
            }
        }
    }

    [Test]
    public async Task Reopen_AfterDispose_RunsTasksEventsDataAndKeysSurvive()
    {
        using var db = new TempDatabase();
        Guid runId;
        Guid entryId = Guid.CreateVersion7();
        using (var store = new SqliteStore(db.ConnectionString, _time))
        {
            var client = Client(store);
            var created = await client.CreateRunAsync(new RunSpec
            {
                OrgId = Org,
                Tasks = [new TaskSpec { Name = "a", Type = "work" }, new TaskSpec { Name = "b", Type = "work", DependsOn = ["a"] }],
            });
            runId = created.Run.Id;
            var claimed = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "x", Max = 10, LeaseDuration = TimeSpan.FromSeconds(30) }, CancellationToken.None);
            await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(claimed[0].Id, claimed[0].LeaseToken!.Value), """{"n":1}""")], CancellationToken.None);
            await store.PutRunDataAsync(new PutRunDataParams { EntryId = entryId, OrgId = Org, RunId = runId, Key = "k", ValueJson = "42", Tags = ["t"] }, CancellationToken.None);
            await store.CreateOrgAsync(new Org(Org, "Org A", _time.GetUtcNow()), CancellationToken.None);
            await store.CreateApiKeyAsync(new ApiKeyRecord { Id = "key1", OrgId = Org, Name = "ci", SecretHash = "h", Permissions = ["*"], CreatedAt = _time.GetUtcNow() }, CancellationToken.None);
        }

        using var reopened = new SqliteStore(db.ConnectionString, _time);
        var run = await reopened.GetRunAsync(Org, runId, CancellationToken.None);
        var tasks = await reopened.GetRunTasksAsync(Org, runId, CancellationToken.None);
        var events = (await reopened.ReadEventsAsync(0, 100, Org, CancellationToken.None)).Select(e => e.Type).ToList();

        Assert.That(run!.Status, Is.EqualTo(RunStatus.Running));
        Assert.That(run.CompletedTasks, Is.EqualTo(1));
        Assert.That(tasks.Select(t => (t.Name, t.Status)), Is.EqualTo(new[] { ("a", TaskRunStatus.Completed), ("b", TaskRunStatus.Queued) }));
        Assert.That(tasks[0].OutputJson, Is.EqualTo("""{"n":1}"""));
        Assert.That(events, Is.EqualTo(new[] { EventTypes.RunCreated, EventTypes.RunStarted, EventTypes.TaskStarted, EventTypes.TaskCompleted }));
        Assert.That((await reopened.GetAttemptsAsync(Org, tasks[0].Id, CancellationToken.None)).Single().Outcome, Is.EqualTo(AttemptOutcomes.Completed));
        Assert.That((await reopened.GetLatestRunDataAsync(Org, runId, "k", CancellationToken.None))!.Id, Is.EqualTo(entryId));
        Assert.That((await reopened.FindApiKeyAsync("key1", CancellationToken.None))!.Permissions, Is.EqualTo(new[] { "*" }));
        Assert.That((await reopened.GetOrgAsync(Org, CancellationToken.None))!.Name, Is.EqualTo("Org A"));
    }

    [Test]
    public async Task Writes_ManyCommits_LogCopiedByBackgroundCheckpointAndDataIntact()
    {
        using var db = new TempDatabase();
        using var store = new SqliteStore(db.ConnectionString, _time);
        var client = Client(store);
        var seen = store.CheckpointsDone.Version;

        // One commit per run: enough commits to be due a background checkpoint.
        for (var i = 0; i < 300; i++) await client.CreateRunAsync(new RunSpec { OrgId = Org, Tasks = [new TaskSpec { Type = "work" }] });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (store.CheckpointsDone.Version == seen) await store.CheckpointsDone.WaitAsync(seen, TimeSpan.FromSeconds(20), TimeProvider.System, deadline.Token);

        await using var probe = new Microsoft.Data.Sqlite.SqliteConnection(db.ConnectionString);
        await probe.OpenAsync();
        await using var count = probe.CreateCommand();
        count.CommandText = "SELECT count(*) FROM runs";
        Assert.That(await count.ExecuteScalarAsync(), Is.EqualTo(300L));
    }

    [Test]
    public async Task ClaimTasks_TwoStoresOnOneFile_NoTaskClaimedTwice()
    {
        using var db = new TempDatabase();
        using var a = new SqliteStore(db.ConnectionString, _time);
        using var b = new SqliteStore(db.ConnectionString, _time);
        var specs = Enumerable.Range(0, 400).Select(_ => new RunSpec { OrgId = Org, Tasks = [new TaskSpec { Name = "only", Type = "work" }] }).ToList();
        await Client(a).CreateRunsAsync(specs);

        var seen = new ConcurrentBag<Guid>();
        var completedBy = new ConcurrentBag<bool>();
        var claimers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? a : b;
            while (true)
            {
                var batch = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = $"x{i}", Max = 9, LeaseDuration = TimeSpan.FromSeconds(30) }, CancellationToken.None);
                if (batch.Count == 0) return;
                foreach (var t in batch) seen.Add(t.Id);
                // Completing through the other instance proves the lease, not the connection, is what fences a write.
                var other = store == a ? b : a;
                var results = await other.CompleteTasksAsync(batch.Select(t => new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null)).ToList(), CancellationToken.None);
                foreach (var r in results) completedBy.Add(r.Applied);
            }
        })).ToList();
        await Task.WhenAll(claimers);

        Assert.That(seen.Distinct().Count(), Is.EqualTo(400));
        Assert.That(seen, Has.Count.EqualTo(400), "a task was claimed twice");
        Assert.That(completedBy.All(x => x), Is.True);
        var runs = await b.ListRunsAsync(new RunQuery { OrgId = Org, Status = RunStatus.Completed, Limit = 1 }, CancellationToken.None);
        Assert.That(runs.Total, Is.EqualTo(400));
    }

    [Test]
    public async Task CompleteTasks_OtherStoreCompletedFirst_ClaimingStoreSeesTheCommittedRow()
    {
        // The claiming store keeps the claimed row in memory; a write by another connection must invalidate that copy.
        using var db = new TempDatabase();
        using var a = new SqliteStore(db.ConnectionString, _time);
        using var b = new SqliteStore(db.ConnectionString, _time);
        var created = await Client(a).CreateRunAsync(new RunSpec { OrgId = Org, Tasks = [new TaskSpec { Name = "only", Type = "work" }] });
        var claimed = (await a.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "x", Max = 1, LeaseDuration = TimeSpan.FromSeconds(30) }, CancellationToken.None)).Single();
        var lease = new TaskLease(claimed.Id, claimed.LeaseToken!.Value);

        var first = await b.CompleteTasksAsync([new TaskCompletion(lease, """{"by":"b"}""")], CancellationToken.None);
        var late = await a.CompleteTasksAsync([new TaskCompletion(lease, """{"by":"a"}""")], CancellationToken.None);

        Assert.That(first.Single().Applied, Is.True);
        Assert.That(late.Single().Applied, Is.False);
        Assert.That((await a.GetTaskAsync(Org, claimed.Id, CancellationToken.None))!.OutputJson, Is.EqualTo("""{"by":"b"}"""));
        Assert.That((await a.GetRunAsync(Org, created.Run.Id, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Completed));
        var events = (await a.ReadEventsAsync(0, 100, Org, CancellationToken.None)).Count(e => e.Type == EventTypes.TaskCompleted);
        Assert.That(events, Is.EqualTo(1));
    }

    [Test]
    public async Task CompleteTasks_LeaseReapedAfterClaim_CompletionRefused()
    {
        // Reaping changes the task behind the claiming store's in-memory copy; the stale copy must not let a completion through.
        using var db = new TempDatabase();
        using var store = new SqliteStore(db.ConnectionString, _time);
        await Client(store).CreateRunAsync(new RunSpec { OrgId = Org, Tasks = [new TaskSpec { Name = "only", Type = "work" }] });
        var claimed = (await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "x", Max = 1, LeaseDuration = TimeSpan.FromSeconds(30) }, CancellationToken.None)).Single();
        _time.Advance(TimeSpan.FromSeconds(31));

        Assert.That(await store.ReleaseExpiredLeasesAsync(10, CancellationToken.None), Is.EqualTo(1));
        var late = await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(claimed.Id, claimed.LeaseToken!.Value), null)], CancellationToken.None);

        Assert.That(late.Single().Applied, Is.False);
        Assert.That((await store.GetTaskAsync(Org, claimed.Id, CancellationToken.None))!.Status, Is.EqualTo(TaskRunStatus.Retrying));
    }

    [Test]
    public async Task CompleteTasks_LastTaskAfterASiblingFailed_RunFails()
    {
        // The writer remembers that runs it created have no failed task, to finalise without a query; a failure must clear that.
        using var db = new TempDatabase();
        using var store = new SqliteStore(db.ConnectionString, _time);
        var created = await Client(store).CreateRunAsync(new RunSpec
        {
            OrgId = Org,
            Tasks = [new TaskSpec { Name = "a", Type = "work" }, new TaskSpec { Name = "b", Type = "work" }],
        });
        var claimed = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "x", Max = 2, LeaseDuration = TimeSpan.FromSeconds(30) }, CancellationToken.None);
        var a = claimed.Single(t => t.Name == "a");
        var b = claimed.Single(t => t.Name == "b");

        await store.FailTasksAsync([new TaskFailure(new TaskLease(a.Id, a.LeaseToken!.Value), JsonDefaults.ErrorJson("boom"), Retryable: false)], CancellationToken.None);
        await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(b.Id, b.LeaseToken!.Value), null)], CancellationToken.None);

        var run = await store.GetRunAsync(Org, created.Run.Id, CancellationToken.None);
        Assert.That(run!.Status, Is.EqualTo(RunStatus.Failed));
        Assert.That(JsonDefaults.ErrorMessage(run.ErrorJson), Is.EqualTo("task 'a' failed"));
    }

    [Test]
    public void Initialize_DirectoryMissing_ErrorNamesDataSource()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "orchestration.db");
        using var store = new SqliteStore($"Data Source={path}", _time);

        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(CancellationToken.None));

        Assert.That(ex!.Message, Does.Contain(path));
    }

    [Test]
    public void Initialize_FileIsNotADatabase_ErrorNamesDataSource()
    {
        using var db = new TempDatabase();
        File.WriteAllText(db.Path, new string('x', 4096));
        using var store = new SqliteStore(db.ConnectionString, _time);

        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(CancellationToken.None));

        Assert.That(ex!.Message, Does.Contain(db.Path));
    }

    [Test]
    public void Constructor_InMemoryDataSource_Refused()
    {
        Assert.Throws<ArgumentException>(() => new SqliteStore("Data Source=:memory:", _time));
    }

    [Test]
    public async Task UseSqlite_HostStarts_OneStoreServesEveryInterfaceAndSchemaIsReady()
    {
        using var db = new TempDatabase();
        using var host = BuildHost(db.ConnectionString);

        await host.StartAsync();
        try
        {
            var store = host.Services.GetRequiredService<IOrchestrationStore>();
            Assert.That(store, Is.InstanceOf<SqliteStore>());
            Assert.That(host.Services.GetRequiredService<IOrchestrationQueries>(), Is.SameAs(store));
            Assert.That(host.Services.GetRequiredService<IIdentityStore>(), Is.SameAs(store));
            Assert.That(File.Exists(db.Path), Is.True);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Test]
    public void UseSqlite_UnwritablePath_HostStartFailsNamingDataSource()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "orchestration.db");
        using var host = BuildHost($"Data Source={path}");

        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.That(ex!.Message, Does.Contain(path));
    }

    private IHost BuildHost(string connectionString) =>
        new HostBuilder().ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(_time);
            services.AddOrchestration(o =>
            {
                o.UseSqlite(connectionString);
                o.Worker.Enabled = false;
                o.Maintenance.Enabled = false;
            });
        }).Build();

    private static OrchestrationClient Client(SqliteStore store) =>
        new(store, store, Options.Create(new EngineOptions { DefaultRetryPolicy = Policy }));
}
