using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

public sealed class PostgresJobQueueClaimMigrationTests
{
    private const int JobQueueClaimVersion = 23;
    private static readonly Guid RunningJob = Guid.Parse("01900000-0000-7000-8000-000000000231");
    private static readonly Guid QueuedJob = Guid.Parse("01900000-0000-7000-8000-000000000232");
    private static readonly Guid QueuedEtl = Guid.Parse("01900000-0000-7000-8000-000000000233");
    private static readonly Guid Token = Guid.Parse("01900000-0000-7000-8000-0000000002ff");

    // A job held by an executor, a job waiting behind it and a task of another family and type, as the previous version
    // wrote them: the new index must hold the waiting ones, and the lease taken before the upgrade must still fence.
    private const string PreviousVersionRows = """
        INSERT INTO {s}.runs (id, org_id, kind, status, family, created_at, updated_at, started_at) VALUES
            ('01900000-0000-7000-8000-000000000221', 'default', 'managed', 'running', 'jobs', now(), now(), now()),
            ('01900000-0000-7000-8000-000000000222', 'default', 'managed', 'pending', 'jobs', now(), now(), NULL),
            ('01900000-0000-7000-8000-000000000223', 'default', 'managed', 'pending', 'embedded', now(), now(), NULL);
        INSERT INTO {s}.tasks (id, run_id, org_id, name, type, status, priority, dependencies, retry_max_attempts, retry_initial_ticks,
                               retry_max_ticks, retry_factor, retry_jitter, attempt, lease_token, lease_expires_at, executor_id, enqueue,
                               remaining_deps, created_at, updated_at, queued_at, started_at, attempt_open) VALUES
            ('01900000-0000-7000-8000-000000000231', '01900000-0000-7000-8000-000000000221', 'default', 'job', 'exec', 'running', 0, '{}', 1, 0, 0, 1, 0,
             1, '01900000-0000-7000-8000-0000000002ff', now() + interval '1 hour', 'old-executor', true, 0, now(), now(), now(), now(), true),
            ('01900000-0000-7000-8000-000000000232', '01900000-0000-7000-8000-000000000222', 'default', 'job', 'exec', 'queued', 0, '{}', 1, 0, 0, 1, 0,
             0, NULL, NULL, NULL, true, 0, now(), now(), now(), NULL, false),
            ('01900000-0000-7000-8000-000000000233', '01900000-0000-7000-8000-000000000223', 'default', 'load', 'etl', 'queued', 0, '{}', 1, 0, 0, 1, 0,
             0, NULL, NULL, NULL, true, 0, now(), now(), now(), NULL, false);
        """;

    [Test]
    public async Task Migrate_PreviousVersionWithJobsInFlight_LeaseStillFencesAndWaitingWorkIsClaimedByType()
    {
        await using var schema = await PgSchema.CreateAsync();
        await PostgresMigrator.MigrateAsync(schema.DataSource, schema.Name, CancellationToken.None, upTo: JobQueueClaimVersion - 1);
        await using (var write = schema.DataSource.CreateCommand(PreviousVersionRows.Replace("{s}", "\"" + schema.Name + "\"", StringComparison.Ordinal)))
            await write.ExecuteNonQueryAsync();

        var store = await schema.StoreAsync(TimeProvider.System);
        var ct = CancellationToken.None;
        var jobQueue = PgSchema.Claim("executor", max: 1) with { Types = ["exec"], Family = "jobs", OrgId = Org.DefaultId };

        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(RunningJob, Token), null)], ct)).Single().Applied, Is.True,
            "the lease taken before the upgrade still fences");
        Assert.That((await store.ClaimTasksAsync(PgSchema.Claim("worker") with { Types = ["etl", "ci"], Family = "jobs" }, ct)), Is.Empty,
            "the waiting etl task belongs to another family");
        Assert.That((await store.ClaimTasksAsync(jobQueue, ct)).Select(t => t.Id), Is.EqualTo(new[] { QueuedJob }));
        Assert.That((await store.ClaimTasksAsync(PgSchema.Claim("worker") with { Types = ["ml_training", "etl", "ci"] }, ct)).Select(t => t.Id), Is.EqualTo(new[] { QueuedEtl }),
            "a claim of several types finds the one type with waiting work");
        Assert.That(await store.ClaimTasksAsync(jobQueue, ct), Is.Empty);
    }
}
