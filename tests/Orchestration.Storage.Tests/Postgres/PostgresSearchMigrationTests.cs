using Orchestration.Domain;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

public sealed class PostgresSearchMigrationTests
{
    private const int SearchVersion = 21;
    private static readonly Guid PendingRun = Guid.Parse("01900000-0000-7000-8000-000000000201");
    private static readonly Guid RunningRun = Guid.Parse("01900000-0000-7000-8000-000000000202");
    private static readonly Guid Queued = Guid.Parse("01900000-0000-7000-8000-000000000211");
    private static readonly Guid Running = Guid.Parse("01900000-0000-7000-8000-000000000212");
    private static readonly Guid Token = Guid.Parse("01900000-0000-7000-8000-0000000002ff");

    // A pending run with a queued task and a running run whose task holds a lease, as the previous version wrote them:
    // the run's input, a task's input and a tagged run data entry are what the upgrade must make searchable.
    private const string PreviousVersionRows = """
        INSERT INTO {s}.runs (id, org_id, kind, status, family, input_json, created_at, updated_at, started_at, completed_at) VALUES
            ('01900000-0000-7000-8000-000000000201', 'default', 'managed', 'pending', 'embedded', '{"customer":"acme"}', now(), now(), NULL, NULL),
            ('01900000-0000-7000-8000-000000000202', 'default', 'managed', 'running', 'embedded', 'not json', now(), now(), now(), NULL);
        INSERT INTO {s}.tasks (id, run_id, org_id, name, type, status, priority, input_json, dependencies, retry_max_attempts, retry_initial_ticks,
                               retry_max_ticks, retry_factor, retry_jitter, attempt, lease_token, lease_expires_at, executor_id, enqueue,
                               remaining_deps, created_at, updated_at, queued_at, started_at, completed_at) VALUES
            ('01900000-0000-7000-8000-000000000211', '01900000-0000-7000-8000-000000000201', 'default', 'p', 'work', 'queued', 0, NULL, '{}', 3, 0, 0, 1, 0,
             0, NULL, NULL, NULL, true, 0, now(), now(), now(), NULL, NULL),
            ('01900000-0000-7000-8000-000000000212', '01900000-0000-7000-8000-000000000202', 'default', 'a', 'work', 'running', 0, '{"attempts":3}', '{}', 3, 0, 0, 1, 0,
             1, '01900000-0000-7000-8000-0000000002ff', now() + interval '1 hour', 'old-host', true, 0, now(), now(), now(), now(), NULL);
        INSERT INTO {s}.attempts (task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error) VALUES
            ('01900000-0000-7000-8000-000000000212', 1, 'old-host', '10.0.0.1', now(), NULL, NULL, NULL);
        INSERT INTO {s}.run_data (id, org_id, run_id, key, value_json, tags, created_at, updated_at) VALUES
            ('01900000-0000-7000-8000-000000000221', 'default', '01900000-0000-7000-8000-000000000202', 'report', '1', '{release}', now(), now());
        """;

    [Test]
    public async Task Migrate_PreviousVersionWithWorkInFlight_OlderRunsSearchableAndWorkFinishes()
    {
        await using var schema = await PgSchema.CreateAsync();
        await PostgresMigrator.MigrateAsync(schema.DataSource, schema.Name, CancellationToken.None, upTo: SearchVersion - 1);
        await using (var write = schema.DataSource.CreateCommand(PreviousVersionRows.Replace("{s}", "\"" + schema.Name + "\"", StringComparison.Ordinal)))
            await write.ExecuteNonQueryAsync();

        var store = await schema.StoreAsync(TimeProvider.System);
        var ct = CancellationToken.None;
        async Task<Guid[]> Ids(RunQuery q) => [.. (await store.ListRunsAsync(q, ct)).Items.Select(r => r.Id)];
        // Input fields are searchable once declared and backfilled (in batches of one run here).
        Assert.That((await store.DeclareSearchFieldsAsync(new DeclareSearchFieldsParams(["customer", "attempts"]), ct)).Added, Is.EqualTo(new[] { "attempts", "customer" }));
        while ((await store.BackfillSearchFieldsAsync(new BackfillSearchFieldsParams(1), ct)).Pending.Count > 0) { }

        Assert.That(await Ids(new RunQuery { OrgId = Org.DefaultId, InputField = "customer", InputValue = "acme" }), Is.EqualTo(new[] { PendingRun }));
        Assert.That(await Ids(new RunQuery { OrgId = Org.DefaultId, InputField = "attempts", InputValue = "3" }), Is.EqualTo(new[] { RunningRun }), "a task's input");
        Assert.That(await Ids(new RunQuery { OrgId = Org.DefaultId, Tag = "release", DataKey = "report" }), Is.EqualTo(new[] { RunningRun }));

        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(Running, Token), null)], ct)).Single().Applied, Is.True,
            "the lease taken before the upgrade still fences");
        var claimed = await store.ClaimTasksAsync(PgSchema.Claim("new-host"), ct);
        Assert.That(claimed.Select(t => t.Id), Is.EqualTo(new[] { Queued }));
        Assert.That((await store.CompleteTasksAsync([new TaskCompletion(new TaskLease(Queued, claimed[0].LeaseToken!.Value), null)], ct)).Single().Applied, Is.True);
        foreach (var id in new[] { PendingRun, RunningRun }) Assert.That((await store.GetRunAsync(Org.DefaultId, id, ct))!.Status, Is.EqualTo(RunStatus.Completed));

        // Removing every field deletes the input terms and the input triggers.
        Assert.That((await store.DeclareSearchFieldsAsync(new DeclareSearchFieldsParams([]), ct)).Removed, Is.EqualTo(new[] { "attempts", "customer" }));
        await using (var inputTerms = schema.DataSource.CreateCommand($"SELECT count(*) FROM \"{schema.Name}\".run_terms WHERE kind = 'i'"))
            Assert.That(await inputTerms.ExecuteScalarAsync(), Is.Zero);
        await using (var triggers = schema.DataSource.CreateCommand(
            $"SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '{schema.Name}' AND t.tgname LIKE 'run_terms_%_input'"))
            Assert.That(await triggers.ExecuteScalarAsync(), Is.Zero);

        // Deleting runs (as retention does) takes their terms with them.
        await using (var delete = schema.DataSource.CreateCommand($"DELETE FROM \"{schema.Name}\".runs"))
            await delete.ExecuteNonQueryAsync();
        await using var count = schema.DataSource.CreateCommand($"SELECT count(*) FROM \"{schema.Name}\".run_terms");
        Assert.That(await count.ExecuteScalarAsync(), Is.Zero);
    }
}
