using Microsoft.Extensions.DependencyInjection;
using Orchestration.Benchmarks.Databases;
using Orchestration.Hosting;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Benchmarks.Engine;

/// <summary>
/// One empty store for one measurement: a new in-memory store, a new SQLite file, or a new Postgres database. Hosts
/// built from the same instance share its data, so a measurement can enqueue with one host and drain with another.
/// </summary>
internal sealed class FreshStore : IAsyncDisposable
{
    private readonly Action<OrchestrationOptions> _configure;
    private readonly Func<ValueTask> _dispose;

    private FreshStore(string kind, Action<OrchestrationOptions> configure, Func<ValueTask> dispose, string? connectionString, BenchDatabase? database = null)
    {
        Kind = kind;
        Database = database;
        _configure = configure;
        _dispose = dispose;
        ConnectionString = connectionString;
    }

    public string Kind { get; }

    /// <summary>The SQLite or Postgres connection string; null in memory.</summary>
    public string? ConnectionString { get; }

    /// <summary>The Postgres database, for its commit counters; null for other stores.</summary>
    public BenchDatabase? Database { get; }

    public void Configure(OrchestrationOptions options) => _configure(options);

    public ValueTask DisposeAsync() => _dispose();

    public static async Task<FreshStore> CreateAsync(string kind, string label, BenchContext context, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case StoreKinds.InMemory:
            {
                var store = new InMemoryStore(TimeProvider.System);
                return new FreshStore(kind, o => o.UseStore(StoreKinds.InMemory, services =>
                {
                    services.AddSingleton(store);
                    services.AddSingleton<IOrchestrationStore>(store);
                    services.AddSingleton<IOrchestrationQueries>(store);
                    services.AddSingleton<IIdentityStore>(store);
                }), () =>
                {
                    store.Dispose();
                    return ValueTask.CompletedTask;
                }, null);
            }

            case StoreKinds.Sqlite:
            {
                var path = context.NewSqlitePath(label);
                var cs = $"Data Source={path}";
                return new FreshStore(kind, o => StoreRegistrations.UseSqlite(o, cs), () =>
                {
                    SqliteFiles.Delete(path);
                    return ValueTask.CompletedTask;
                }, cs);
            }

            case StoreKinds.Postgres:
            {
                var server = await context.GetPostgresAsync(cancellationToken);
                var database = await server.CreateDatabaseAsync(label, cancellationToken);
                return new FreshStore(kind, o => StoreRegistrations.UsePostgres(o, database.ConnectionString), database.DisposeAsync, database.ConnectionString, database);
            }

            default:
                throw new ArgumentException($"unknown store '{kind}' (expected {string.Join(", ", StoreKinds.All)})", nameof(kind));
        }
    }
}
