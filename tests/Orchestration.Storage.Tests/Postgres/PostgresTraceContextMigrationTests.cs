using System.Diagnostics;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

public sealed class PostgresTraceContextMigrationTests
{
    private const int TraceContextVersion = 19;
    private const string SourceName = "Orchestration.Tests.PostgresTraceMigration";
    private static readonly ActivitySource Tests = new(SourceName);
    private static readonly Guid PendingRun = Guid.Parse("01900000-0000-7000-8000-000000000101");
    private static readonly Guid RunningRun = Guid.Parse("01900000-0000-7000-8000-000000000102");
    private static readonly Guid Queued = Guid.Parse("01900000-0000-7000-8000-000000000111");
    private static readonly Guid Running = Guid.Parse("01900000-0000-7000-8000-000000000112");
    private static readonly Guid Token = Guid.Parse("01900000-0000-7000-8000-0000000001ff");

    // A pending run with a queued task and a running run whose task holds a lease, as the previous version wrote them.
    private const string PreviousVersionRows = """
        INSERT INTO {s}.runs (id, org_id, kind, status, family, created_at, updated_at, started_at, completed_at) VALUES
            ('01900000-0000-7000-8000-000000000101', 'default', 'managed', 'pending', 'embedded', now(), now(), NULL, NULL),
            ('01900000-0000-7000-8000-000000000102', 'default', 'managed', 'running', 'embedded', now(), now(), now(), NULL);
        INSERT INTO {s}.tasks (id, run_id, org_id, name, type, status, priority, dependencies, retry_max_attempts, retry_initial_ticks,
                               retry_max_ticks, retry_factor, retry_jitter, attempt, lease_token, lease_expires_at, executor_id, enqueue,
                               remaining_deps, created_at, updated_at, queued_at, started_at, completed_at) VALUES
            ('01900000-0000-7000-8000-000000000111', '01900000-0000-7000-8000-000000000101', 'default', 'p', 'work', 'queued', 0, '{}', 3, 0, 0, 1, 0,
             0, NULL, NULL, NULL, true, 0, now(), now(), now(), NULL, NULL),
            ('01900000-0000-7000-8000-000000000112', '01900000-0000-7000-8000-000000000102', 'default', 'a', 'work', 'running', 0, '{}', 3, 0, 0, 1, 0,
             1, '01900000-0000-7000-8000-0000000001ff', now() + interval '1 hour', 'old-host', true, 0, now(), now(), now(), now(), NULL);
        INSERT INTO {s}.attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error) VALUES
            ('01900000-0000-7000-8000-000000000112', 1, 'old-host', '10.0.0.1', now(), NULL, NULL, NULL);
        """;

    [Test]
    public async Task Migrate_PreviousVersionWithWorkInFlight_RunsFinishUntracedAndNewRunsKeepTheirTrace()
    {
        await using var schema = await PgSchema.CreateAsync();
        await PostgresMigrator.MigrateAsync(schema.DataSource, schema.Name, CancellationToken.None, upTo: TraceContextVersion - 1);
        await using (var write = schema.DataSource.CreateCommand(PreviousVersionRows.Replace("{s}", "\"" + schema.Name + "\"", StringComparison.Ordinal)))
            await write.ExecuteNonQueryAsync();

        var store = await schema.StoreAsync(TimeProvider.System);
        var ct = CancellationToken.None;

        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(Running, Token), null)], ct)).Single().Applied, Is.True,
            "the lease taken before the upgrade still fences");
        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("new-host"), ct);
        Assert.That(claimed.Select(t => t.Id), Is.EqualTo(new[] { Queued }));
        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(Queued, claimed[0].LeaseToken!.Value), null)], ct)).Single().Applied, Is.True);
        foreach (var id in new[] { PendingRun, RunningRun }) Assert.That((await store.GetRunAsync(Org.DefaultId, id, ct))!.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(await store.GetRunTraceContextsAsync([PendingRun, RunningRun], ct), Is.Empty, "older runs have no trace context");

        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == SourceName, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(listener);
        Guid traced;
        string traceId;
        using (var request = Tests.StartActivity("request")!)
        {
            traceId = request.TraceId.ToHexString();
            traced = (await PgSchema.Client(store).CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] })).Run.Id;
        }

        var stored = await store.GetRunTraceContextsAsync([traced], ct);
        Assert.That(ActivityContext.Parse(stored[traced].TraceParent, stored[traced].TraceState).TraceId.ToHexString(), Is.EqualTo(traceId));
    }
}
