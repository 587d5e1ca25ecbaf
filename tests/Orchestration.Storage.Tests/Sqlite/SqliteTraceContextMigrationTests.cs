using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Sqlite;

namespace Orchestration.Storage.Tests.Sqlite;

public sealed class SqliteTraceContextMigrationTests
{
    private const int TraceContextVersion = 18;
    private const string SourceName = "Orchestration.Tests.SqliteTraceMigration";
    private static readonly ActivitySource Tests = new(SourceName);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    // Rows as the version before the trace context wrote them: a pending run with a queued task and a running run whose
    // task holds a lease. After the upgrade they run to completion as before and have no trace context; a run created
    // inside a trace keeps its context.
    [Test]
    public async Task Initialize_PreviousVersionWithWorkInFlight_RunsFinishUntracedAndNewRunsKeepTheirTrace()
    {
        using var db = new TempDatabase();
        var t0 = _time.GetUtcNow();
        Guid pendingRun = Guid.NewGuid(), runningRun = Guid.NewGuid(), queuedTask = Guid.NewGuid(), runningTask = Guid.NewGuid(), lease = Guid.NewGuid();
        using (var connection = new SqliteConnection(db.ConnectionString + ";Pooling=False"))
        {
            connection.Open();
            using var previous = new SqliteCommands(connection, cache: false);
            SqliteMigrator.Apply(previous, _time, maxVersion: TraceContextVersion - 1);
            const string run =
                "INSERT INTO runs (id, org_id, kind, status, family, created_at, updated_at, started_at, unfinished) " +
                "VALUES ($id, 'org-a', 'managed', $status, 'jobs', $t, $t, $started, 1)";
            previous.Exec(run, pendingRun, "pending", t0, null);
            previous.Exec(run, runningRun, "running", t0, t0);
            const string task =
                "INSERT INTO tasks (id, run_id, org_id, name, type, status, priority, retry_max_attempts, retry_initial_delay, retry_max_delay, " +
                "retry_backoff, retry_jitter, attempt, lease_token, lease_expires_at, executor_id, enqueue, created_at, updated_at, queued_at, started_at) " +
                "VALUES ($id, $run, 'org-a', 'job', 'work', $status, 0, 3, 0, 0, 2.0, 0, $attempt, $lease, $expires, $executor, 1, $t, $t, $t, $started)";
            previous.Exec(task, queuedTask, pendingRun, "queued", 0, null, null, null, t0, null);
            previous.Exec(task, runningTask, runningRun, "running", 1, lease, t0.AddMinutes(5), "old-executor", t0, t0);
        }

        using var store = new SqliteStore(db.ConnectionString, _time);
        await store.InitializeAsync(CancellationToken.None);
        var ct = CancellationToken.None;

        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(runningTask, lease), null)], ct)).Single().Applied, Is.True,
            "the lease taken before the upgrade still completes");
        var claimed = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "new", Types = ["work"], Max = 10, LeaseDuration = TimeSpan.FromMinutes(1) }, ct);
        Assert.That(claimed.Select(t => t.Id), Is.EqualTo(new[] { queuedTask }));
        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(queuedTask, claimed[0].LeaseToken!.Value), null)], ct)).Single().Applied, Is.True);
        foreach (var id in new[] { pendingRun, runningRun }) Assert.That((await store.GetRunAsync("org-a", id, ct))!.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(await store.GetRunTraceContextsAsync([pendingRun, runningRun], ct), Is.Empty, "older runs have no trace context");

        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == SourceName, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(listener);
        var client = new OrchestrationClient(store, store, Options.Create(new EngineOptions()));
        Guid traced;
        string traceId;
        using (var request = Tests.StartActivity("request")!)
        {
            traceId = request.TraceId.ToHexString();
            traced = (await client.CreateRunAsync(new RunSpec { OrgId = "org-a", Tasks = [new TaskSpec { Name = "a", Type = "work" }] })).Run.Id;
        }

        var stored = await store.GetRunTraceContextsAsync([traced], ct);
        Assert.That(ActivityContext.Parse(stored[traced].TraceParent, stored[traced].TraceState).TraceId.ToHexString(), Is.EqualTo(traceId));
    }
}
