using Orchestration.Domain;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

public sealed class PostgresMigrationTests
{
    private static readonly Guid PendingRun = Guid.Parse("01900000-0000-7000-8000-000000000001");
    private static readonly Guid RunningRun = Guid.Parse("01900000-0000-7000-8000-000000000002");
    private static readonly Guid FinishedRun = Guid.Parse("01900000-0000-7000-8000-000000000003");
    private static readonly Guid Queued = Guid.Parse("01900000-0000-7000-8000-000000000011");
    private static readonly Guid Running = Guid.Parse("01900000-0000-7000-8000-000000000012");
    private static readonly Guid Waiting = Guid.Parse("01900000-0000-7000-8000-000000000013");
    private static readonly Guid Finished = Guid.Parse("01900000-0000-7000-8000-000000000014");
    private static readonly Guid Token = Guid.Parse("01900000-0000-7000-8000-0000000000ff");

    // Rows as the store of migration 0003 wrote them: a pending run with a queued task, a running run whose task is in
    // its second attempt (the first failed; the second's attempt row still open) with a dependent waiting for it, and
    // a finished run with its ended attempt and events.
    private const string PreviousVersionRows = """
        INSERT INTO {s}.runs (id, org_id, kind, status, family, created_at, updated_at, started_at, completed_at) VALUES
            ('01900000-0000-7000-8000-000000000003', 'default', 'managed', 'completed', 'embedded', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours'),
            ('01900000-0000-7000-8000-000000000001', 'default', 'managed', 'pending', 'embedded', now(), now(), NULL, NULL),
            ('01900000-0000-7000-8000-000000000002', 'default', 'managed', 'running', 'embedded', now(), now(), now(), NULL);
        INSERT INTO {s}.tasks (id, run_id, org_id, name, type, status, priority, dependencies, retry_max_attempts, retry_initial_ticks,
                               retry_max_ticks, retry_factor, retry_jitter, attempt, lease_token, lease_expires_at, executor_id, enqueue,
                               remaining_deps, created_at, updated_at, queued_at, started_at, completed_at) VALUES
            ('01900000-0000-7000-8000-000000000014', '01900000-0000-7000-8000-000000000003', 'default', 'f', 'work', 'completed', 0, '{}', 3, 0, 0, 1, 0,
             1, NULL, NULL, 'old-host', true, 0, now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours'),
            ('01900000-0000-7000-8000-000000000011', '01900000-0000-7000-8000-000000000001', 'default', 'p', 'work', 'queued', 0, '{}', 3, 0, 0, 1, 0,
             0, NULL, NULL, NULL, true, 0, now(), now(), now(), NULL, NULL),
            ('01900000-0000-7000-8000-000000000012', '01900000-0000-7000-8000-000000000002', 'default', 'a', 'work', 'running', 0, '{}', 3, 0, 0, 1, 0,
             2, '01900000-0000-7000-8000-0000000000ff', now() + interval '1 hour', 'old-host', true, 0, now(), now(), now(), now(), NULL),
            ('01900000-0000-7000-8000-000000000013', '01900000-0000-7000-8000-000000000002', 'default', 'b', 'work', 'pending', 0, '{a}', 3, 0, 0, 1, 0,
             0, NULL, NULL, NULL, true, 1, now(), now(), NULL, NULL, NULL);
        INSERT INTO {s}.task_dependencies (run_id, dep_name, task_id) VALUES
            ('01900000-0000-7000-8000-000000000002', 'a', '01900000-0000-7000-8000-000000000013');
        INSERT INTO {s}.attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error) VALUES
            ('01900000-0000-7000-8000-000000000014', 1, 'old-host', NULL, now() - interval '2 hours', now() - interval '2 hours', 'completed', NULL),
            ('01900000-0000-7000-8000-000000000012', 1, 'old-host', '10.0.0.1', now() - interval '1 minute', now() - interval '30 seconds', 'failed', 'boom'),
            ('01900000-0000-7000-8000-000000000012', 2, 'old-host', '10.0.0.2', now(), NULL, NULL, NULL);
        INSERT INTO {s}.events (org_id, run_id, task_id, type, created_at) VALUES
            ('default', '01900000-0000-7000-8000-000000000003', NULL, 'run.completed', now() - interval '2 hours'),
            ('default', '01900000-0000-7000-8000-000000000002', '01900000-0000-7000-8000-000000000012', 'task.started', now());
        """;

    [Test]
    public async Task Migrate_LeanHotPathOverPreviousVersionWithWorkInFlight_ClaimsCompletesListsAndReadsAsBefore()
    {
        await using var schema = await PgSchema.CreateAsync();
        await PostgresMigrator.MigrateAsync(schema.DataSource, schema.Name, CancellationToken.None, upTo: 3);
        await using (var write = schema.DataSource.CreateCommand(PreviousVersionRows.Replace("{s}", "\"" + schema.Name + "\"", StringComparison.Ordinal)))
            await write.ExecuteNonQueryAsync();

        var store = await schema.StoreAsync(TimeProvider.System);

        var before = await store.GetAttemptsAsync(Org.DefaultId, Running, CancellationToken.None);
        Assert.That(before.Select(a => (a.Number, a.Outcome, a.ExecutorIp, Open: a.EndedAt is null)),
            Is.EqualTo(new[] { (1, (string?)"failed", (string?)"10.0.0.1", false), (2, (string?)null, (string?)"10.0.0.2", true) }), "the open attempt reads as before");

        var completed = await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(Running, Token), """{"ok":true}""")], CancellationToken.None);
        Assert.That(completed.Single().Applied, Is.True, "the lease taken before the upgrade still fences");

        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("new-host"), CancellationToken.None);
        Assert.That(claimed.Select(t => t.Id), Is.EquivalentTo(new[] { Queued, Waiting }), "the queued task and the dependent promoted by the completion");
        var done = await store.CompleteTasksAsync(claimed.Select(t => new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null)).ToList(), CancellationToken.None);
        Assert.That(done.All(d => d.Applied), Is.True);

        foreach (var run in new[] { PendingRun, RunningRun, FinishedRun })
            Assert.That((await store.GetRunAsync(Org.DefaultId, run, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Completed));
        var after = await store.GetAttemptsAsync(Org.DefaultId, Running, CancellationToken.None);
        Assert.That(after.Select(a => (a.Number, a.Outcome, a.ExecutorIp)),
            Is.EqualTo(new[] { (1, (string?)"failed", (string?)"10.0.0.1"), (2, (string?)"completed", (string?)"10.0.0.2") }), "the attempt opened before the upgrade ends once");
        Assert.That((await store.GetAttemptsAsync(Org.DefaultId, Waiting, CancellationToken.None)).Single().Outcome, Is.EqualTo("completed"));
        var tasks = await store.ListTasksAsync(new TaskQuery { OrgId = Org.DefaultId, Limit = 10 }, CancellationToken.None);
        Assert.That(tasks.Items.Select(t => t.Id), Is.EqualTo(new[] { Finished, Queued, Running, Waiting }), "listed in creation order");
        Assert.That(tasks.Items.All(t => t.Status == TaskRunStatus.Completed), Is.True);

        Assert.That(await store.PurgeFinishedRunsAsync(TimeSpan.FromHours(1), 100, CancellationToken.None), Is.EqualTo(1), "the run finished two hours ago");
        Assert.That(await store.GetTaskAsync(Org.DefaultId, Finished, CancellationToken.None), Is.Null);
        await using var left = schema.DataSource.CreateCommand(
            $"SELECT (SELECT count(*) FROM \"{schema.Name}\".attempts WHERE task_id = '{Finished}') + (SELECT count(*) FROM \"{schema.Name}\".events WHERE run_id = '{FinishedRun}')");
        Assert.That(await left.ExecuteScalarAsync(), Is.EqualTo(0L), "its attempts and events went with it");
    }
}
