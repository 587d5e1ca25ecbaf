using Microsoft.Extensions.DependencyInjection;
using Orchestration.Postgres;
using Orchestration.Testing;

namespace Orchestration.Http.Tests.Infrastructure;

/// <summary>
/// A store the HTTP tests run against. Every API fixture runs once per entry of <see cref="ApiBackends.All"/>, so
/// adding a back end here runs every HTTP case on it.
/// </summary>
/// <param name="Name">Shown in test names.</param>
/// <param name="Settings">Host settings selecting the store; the argument is a unique name for this host's database.</param>
/// <param name="Cleanup">Removes what the settings created, after the host stopped.</param>
/// <param name="Services">Test-only adjustments of the store's services.</param>
public sealed record ApiBackend(string Name, Func<string, IReadOnlyDictionary<string, string?>> Settings, Action<string>? Cleanup = null, Action<IServiceCollection>? Services = null)
{
    public override string ToString() => Name;
}

public static class ApiBackends
{
    public static IEnumerable<ApiBackend> All()
    {
        yield return Sqlite;
        yield return Postgres;
    }

    /// <summary>A database of its own per host on the test PostgreSQL server (see <c>PostgresServer</c>).</summary>
    public static ApiBackend Postgres { get; } = new(
        "Postgres",
        _ => new Dictionary<string, string?>
        {
            ["Orchestration:Storage"] = "postgres",
            // Fixture set-up is synchronous here; blocking is harmless (NUnit runs it without a synchronisation context).
            ["ConnectionStrings:Orchestration"] = PostgresServer.Shared.GetAwaiter().GetResult().CreateDatabaseAsync().GetAwaiter().GetResult(),
        },
        Services: services =>
        {
            // The hosts run on a fake clock (rate-limit windows, durations); the store must read the same clock.
            foreach (var d in services.Where(d => d.ServiceType == typeof(PostgresStoreOptions)))
                ((PostgresStoreOptions)d.ImplementationInstance!).UseHostClock = true;
        });

    /// <summary>The in-memory reference store.</summary>
    public static ApiBackend InMemory { get; } = new("InMemory", _ => new Dictionary<string, string?> { ["Orchestration:Storage"] = "inmemory" });

    /// <summary>A real SQLite file per host, as the sample host runs by default.</summary>
    public static ApiBackend Sqlite { get; } = new(
        "Sqlite",
        name => new Dictionary<string, string?>
        {
            ["Orchestration:Storage"] = "sqlite",
            ["ConnectionStrings:Orchestration"] = $"Data Source={DatabasePath(name)}",
        },
        name =>
        {
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                try
                {
                    File.Delete(DatabasePath(name) + suffix);
                }
                catch (IOException)
                {
                    // A file still held open is left to the OS temp cleaner; it must not fail the test run.
                }
            }
        });

    public static string DatabasePath(string name) => Path.Combine(Path.GetTempPath(), $"orchestration-http-{name}.db");
}
