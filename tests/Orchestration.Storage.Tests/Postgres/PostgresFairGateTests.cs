using System.Text.Json;
using Orchestration.Engine;
using Orchestration.Postgres;

namespace Orchestration.Storage.Tests.Postgres;

// The fair claim's questions "does a second org wait?" and "which orgs wait?" are asked on every claim, so they must not
// grow with the work just claimed: until a vacuum, the index entries of claimed tasks stay at the front of each org's
// range of tasks_ready_org. Counting the index entries a statement reads makes that visible without timing anything: the
// same data, the same statement, the same count on every run.
public sealed class PostgresFairGateTests
{
    private const int Claimed = 1_000;

    [Test]
    public async Task SecondOrgGate_OneOrgMidDrain_ReadsOneEntryWhereTheLowestOrgReadWalksTheClaimedEntries()
    {
        await using var schema = await PgSchema.CreateAsync();
        await using var snapshot = await FillAndClaimAsync(schema, ["org-a"]);

        var gate = "SELECT " + PostgresFairSql.ReadyOrgBelow(PostgresFairSql.ReadyOrgBelow(null)) + " IS NOT NULL";
        Assert.That(await ScalarAsync<bool>(schema, gate), Is.False, "one org waits: no second one");
        var gateEntries = await EntriesReadAsync(schema, gate);
        // The form the gate had before: the lowest org from the front of the index, then any org above it.
        var lowest = "SELECT min(t.org_id) FROM {s}.tasks t WHERE t.status IN ('queued', 'retrying') AND t.limit_key IS NULL AND t.status = 'queued'";
        var lowestEntries = await EntriesReadAsync(schema, lowest);

        Assert.That(gateEntries, Is.LessThanOrEqualTo(2), "two seeks of tasks_ready_org from its end, one live entry each at most");
        Assert.That(lowestEntries, Is.GreaterThan(Claimed / 2), $"the read from the front visits the {Claimed} claimed entries (this test's premise)");
    }

    [Test]
    public async Task SharingOrgs_ThreeOrgsMidDrain_ListsEachOrgReadingOneEntryPerOrg()
    {
        await using var schema = await PgSchema.CreateAsync();
        await using var snapshot = await FillAndClaimAsync(schema, ["org-a", "org-b", "org-c"]);

        var orgs = new List<string>();
        await using (var cmd = schema.DataSource.CreateCommand(Sql(schema, PostgresFairSql.SharingOrgsSql)))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) orgs.Add(reader.GetString(0));
        }

        Assert.That(orgs, Is.EqualTo(new[] { "org-a", "org-b", "org-c" }));
        var gate = "SELECT " + PostgresFairSql.ReadyOrgBelow(PostgresFairSql.ReadyOrgBelow(null)) + " IS NOT NULL";
        Assert.That(await ScalarAsync<bool>(schema, gate), Is.True, "a second org waits");
        Assert.That(await EntriesReadAsync(schema, PostgresFairSql.SharingOrgsSql), Is.LessThanOrEqualTo(3), "one seek per org from the end of its range");
    }

    // Queued tasks for each org, then Claimed of each org's first ones claimed (their index entries now dead), with
    // autovacuum off on the table so that nothing tidies them away during the test. The transaction returned holds a
    // snapshot taken before the claims, as the other hosts' transactions in flight do during a drain: the claimed
    // entries are not yet dead to every transaction, so no scan may mark them dead and later scans skip them.
    private static async Task<OpenSnapshot> FillAndClaimAsync(PgSchema schema, IReadOnlyList<string> orgs)
    {
        var store = await schema.StoreAsync(TimeProvider.System);
        await using (var cmd = schema.DataSource.CreateCommand($"ALTER TABLE \"{schema.Name}\".tasks SET (autovacuum_enabled = false)"))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var client = PgSchema.Client(store);
        foreach (var org in orgs)
        {
            await client.CreateRunAsync(new RunSpec { OrgId = org, Tasks = [.. Enumerable.Range(0, Claimed + 500).Select(i => new TaskSpec { Name = "t" + i, Type = "work" })] });
        }

        var connection = await schema.DataSource.OpenConnectionAsync();
        var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using (var take = new Npgsql.NpgsqlCommand($"SELECT count(*) FROM \"{schema.Name}\".runs", connection, snapshot))
        {
            await take.ExecuteScalarAsync();
        }

        foreach (var org in orgs)
        {
            for (var claimed = 0; claimed < Claimed;)
            {
                claimed += (await store.ClaimTasksAsync(PgSchema.Claim("host", max: 250) with { OrgId = org }, CancellationToken.None)).Count;
            }
        }

        await using (var analyze = schema.DataSource.CreateCommand($"ANALYZE \"{schema.Name}\".tasks"))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        return new OpenSnapshot(connection, snapshot);
    }

    private static string Sql(PgSchema schema, string sql) => sql.Replace("{s}", $"\"{schema.Name}\"", StringComparison.Ordinal);

    private static async Task<T> ScalarAsync<T>(PgSchema schema, string sql)
    {
        await using var cmd = schema.DataSource.CreateCommand(Sql(schema, sql));
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    // Index entries of tasks_ready_org the statement read, dead ones included (the index access method returns them
    // before the heap says they are dead): the difference of the session's own counter, read before and after it.
    private static async Task<long> EntriesReadAsync(PgSchema schema, string sql)
    {
        await using var connection = await schema.DataSource.OpenConnectionAsync();
        await using var counter = new Npgsql.NpgsqlCommand($"SELECT pg_stat_get_xact_tuples_returned('\"{schema.Name}\".tasks_ready_org'::regclass)", connection);
        await using var tx = await connection.BeginTransactionAsync();
        counter.Transaction = tx;
        var before = (long)(await counter.ExecuteScalarAsync())!;
        await using (var run = new Npgsql.NpgsqlCommand(Sql(schema, sql), connection, tx))
        {
            await run.ExecuteNonQueryAsync();
        }

        return (long)(await counter.ExecuteScalarAsync())! - before;
    }

    private sealed class OpenSnapshot(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
