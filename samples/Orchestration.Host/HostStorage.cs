using Orchestration.Hosting;

namespace Orchestration.Host;

/// <summary>Chooses the store from <c>Orchestration:Storage</c> and <c>ConnectionStrings:Orchestration</c>, and binds worker, maintenance and retention settings.</summary>
internal static class HostStorage
{
    public const string DefaultSqlite = "Data Source=orchestration.db";

    public static void Configure(OrchestrationOptions options, IConfiguration configuration)
    {
        var storage = configuration["Orchestration:Storage"] ?? "sqlite";
        var connectionString = configuration.GetConnectionString("Orchestration");
        switch (storage.ToLowerInvariant())
        {
            case "sqlite":
                options.UseSqlite(string.IsNullOrWhiteSpace(connectionString) ? DefaultSqlite : connectionString);
                break;
            case "inmemory":
                options.UseInMemory();
                break;
            case "postgres":
                options.UsePostgres(string.IsNullOrWhiteSpace(connectionString)
                    ? throw new InvalidOperationException("Orchestration:Storage is 'postgres' but ConnectionStrings:Orchestration is not set.")
                    : connectionString);
                break;
            default:
                throw new InvalidOperationException(
                    $"Orchestration:Storage is '{storage}'; use 'sqlite' (default), 'inmemory' or 'postgres'.");
        }

        // Worker and maintenance settings, e.g. Orchestration:Worker:LeaseDuration=00:00:30.
        configuration.GetSection("Orchestration:Worker").Bind(options.Worker);
        configuration.GetSection("Orchestration:Maintenance").Bind(options.Maintenance);
        // Per-key concurrency limits, e.g. Orchestration:Engine:KeyLimits:0:Key=customer:* and ...:0:MaxRunning=2,
        // Orchestration:Engine:TypeConcurrencyKeys:*=org:{org} (docs/limits.md).
        configuration.GetSection("Orchestration:Engine:KeyLimits").Bind(options.Engine.KeyLimits);
        // Fairness between orgs, e.g. Orchestration:Engine:Fairness:Weights:acme=3 (docs/limits.md, "Fairness").
        configuration.GetSection("Orchestration:Engine:Fairness").Bind(options.Engine.Fairness);
        configuration.GetSection("Orchestration:Engine:TypeConcurrencyKeys").Bind(options.Engine.TypeConcurrencyKeys);
        // Retention, e.g. Orchestration:Retention:CompletedTtl=7.00:00:00 (docs/limits.md, "Retention").
        configuration.GetSection("Orchestration:Retention").Bind(options.Retention);
    }
}
