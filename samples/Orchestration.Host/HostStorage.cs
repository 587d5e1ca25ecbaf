using Orchestration.Hosting;

namespace Orchestration.Host;

/// <summary>Chooses the store from <c>Orchestration:Storage</c> and <c>ConnectionStrings:Orchestration</c>.</summary>
internal static class HostStorage
{
    public const string DefaultSqlite = "Data Source=orchestration.db";

    public static void Configure(OrchestrationOptions options, IConfiguration configuration)
    {
        var storage = configuration["Orchestration:Storage"] ?? "sqlite";
        var connectionString = configuration.GetConnectionString("Orchestration");
        switch (storage.ToLowerInvariant())
        {
            case "inmemory":
                options.UseInMemory();
                break;
            case "postgres":
                options.UsePostgres(string.IsNullOrWhiteSpace(connectionString)
                    ? throw new InvalidOperationException("Orchestration:Storage is 'postgres' but ConnectionStrings:Orchestration is not set.")
                    : connectionString);
                break;
            // "sqlite" is added by its package's integration.
            default:
                throw new InvalidOperationException(
                    $"Orchestration:Storage is '{storage}'; use 'sqlite' (default), 'inmemory' or 'postgres'.");
        }

        _ = connectionString;
    }
}
