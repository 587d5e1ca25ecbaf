using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orchestration.Postgres;
using Orchestration.Testing;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// PostgreSQL in host-clock mode (time read from the fake clock through the store's host-clock option; see
/// <see cref="PostgresDatabaseClockBackend"/> for the production mode), one fresh schema per test in a database
/// shared by this test process, dropped afterwards.
/// </summary>
public sealed class PostgresBackend : Backend
{
    public override string Name => "Postgres";

    public override async Task<StoreHandle> CreateAsync(FakeTimeProvider time)
    {
        var server = await PostgresServer.Shared;
        var dataSource = await server.TestDatabaseAsync();
        return await OpenAsync(dataSource, PostgresServer.NewSchemaName(), time);
    }

    private static async Task<StoreHandle> OpenAsync(NpgsqlDataSource dataSource, string schema, FakeTimeProvider time)
    {
        var store = new PostgresStore(dataSource, new PostgresStoreOptions { Schema = schema, UseHostClock = true }, time);
        await store.MigrateAsync(CancellationToken.None);
        return new StoreHandle(store, store, store, async () =>
        {
            await store.DisposeAsync();
            await using var cmd = dataSource.CreateCommand($"DROP SCHEMA \"{schema}\" CASCADE");
            await cmd.ExecuteNonQueryAsync();
        })
        {
            Reopen = async () =>
            {
                await store.DisposeAsync();
                return await OpenAsync(dataSource, schema, time);
            },
        };
    }
}
