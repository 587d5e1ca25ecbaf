using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Postgres;
using Orchestration.Testing;

namespace Orchestration.Storage.Tests.Postgres;

/// <summary>Stores over one fresh schema of the process's test database; several stores may share it (several hosts).</summary>
internal sealed class PgSchema : IAsyncDisposable
{
    private readonly List<PostgresStore> _stores = [];

    private PgSchema(NpgsqlDataSource dataSource, string name)
    {
        DataSource = dataSource;
        Name = name;
    }

    public NpgsqlDataSource DataSource { get; }
    public string Name { get; }

    public static async Task<PgSchema> CreateAsync()
    {
        var server = await PostgresServer.Shared;
        return new PgSchema(await server.TestDatabaseAsync(), PostgresServer.NewSchemaName());
    }

    public async Task<PostgresStore> StoreAsync(TimeProvider time, bool hostClock = false, Action<PostgresStoreOptions>? configure = null)
    {
        var options = new PostgresStoreOptions { Schema = Name, UseHostClock = hostClock };
        configure?.Invoke(options);
        var store = new PostgresStore(DataSource, options, time, NullLogger<PostgresStore>.Instance);
        await store.MigrateAsync(CancellationToken.None);
        _stores.Add(store);
        return store;
    }

    public static IOrchestrationClient Client(PostgresStore store) =>
        new OrchestrationClient(store, store, Options.Create(new EngineOptions { DefaultRetryPolicy = new RetryPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), 2, 0) }));

    public static ClaimTasksParams Claim(string executor, int max = 100, TimeSpan? lease = null) => new()
    {
        ExecutorId = executor,
        Max = max,
        LeaseDuration = lease ?? TimeSpan.FromSeconds(30),
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _stores) await s.DisposeAsync();
        await using var cmd = DataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE");
        await cmd.ExecuteNonQueryAsync();
    }
}
