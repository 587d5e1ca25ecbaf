using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orchestration.Postgres;
using Orchestration.Storage;

namespace Orchestration.Hosting;

/// <summary>Registers the PostgreSQL store: <c>services.AddOrchestration(o =&gt; o.UsePostgres(connectionString))</c>.</summary>
public static class PostgresOrchestrationExtensions
{
    /// <summary>
    /// Uses PostgreSQL through a data source the store creates from <paramref name="connectionString"/> and owns.
    /// Registers the store, a leader elector (advisory lock) and the LISTEN wake-up listener; retention is the engine's
    /// (<see cref="OrchestrationOptions.Retention"/>), run by the leader. Migrations run at start-up under an advisory lock.
    /// </summary>
    public static OrchestrationOptions UsePostgres(this OrchestrationOptions options, string connectionString, Action<PostgresStoreOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var pg = Configure(configure);
        return options.UseStore("postgres", services => Register(services, options, pg, (sp, logger) =>
            new PostgresStore(connectionString, pg, sp.GetRequiredService<TimeProvider>(), logger)));
    }

    /// <summary>Uses PostgreSQL through the <see cref="NpgsqlDataSource"/> registered in DI (not disposed by the store).</summary>
    public static OrchestrationOptions UsePostgres(this OrchestrationOptions options, Action<PostgresStoreOptions>? configure = null)
    {
        var pg = Configure(configure);
        return options.UseStore("postgres", services => Register(services, options, pg, (sp, logger) =>
            new PostgresStore(sp.GetService<NpgsqlDataSource>() ?? throw new InvalidOperationException(
                "Orchestration: UsePostgres() without a connection string needs an NpgsqlDataSource registered in DI (for example services.AddNpgsqlDataSource(...)), or call UsePostgres(connectionString)."),
                pg, sp.GetRequiredService<TimeProvider>(), logger)));
    }

    private static PostgresStoreOptions Configure(Action<PostgresStoreOptions>? configure)
    {
        var pg = new PostgresStoreOptions();
        configure?.Invoke(pg);
        var problem = pg.Validate();
        if (problem is not null) throw new InvalidOperationException(problem);
        return pg;
    }

    private static void Register(IServiceCollection services, OrchestrationOptions options, PostgresStoreOptions pg, Func<IServiceProvider, ILogger<PostgresStore>, PostgresStore> create)
    {
        MapRetention(options.Retention, pg);
        services.AddSingleton(pg);
        services.AddSingleton(sp => create(sp, sp.GetService<ILoggerFactory>()?.CreateLogger<PostgresStore>() ?? NullLogger<PostgresStore>.Instance));
        services.AddSingleton<IOrchestrationStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IOrchestrationQueries>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IIdentityStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IExecutorRegistry>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IWebhookStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IDefinitionStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IRunSearchIndex>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IMaintenanceSchedule>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IRetentionStore>(sp => sp.GetRequiredService<PostgresStore>());
        // Registered before AddOrchestration's TryAdd of the single-process default, so this one wins.
        services.AddSingleton<PostgresLeaderElector>(sp => new PostgresLeaderElector(sp.GetRequiredService<PostgresStore>(), Logger<PostgresLeaderElector>(sp)));
        services.AddSingleton<ILeaderElector>(sp => sp.GetRequiredService<PostgresLeaderElector>());
        // Hosted services start in registration order: the migration runs before the executor starts claiming.
        services.AddHostedService(sp => new PostgresMigrationService(sp.GetRequiredService<PostgresStore>(), Logger<PostgresMigrationService>(sp)));
        services.AddHostedService(sp => new PostgresListener(sp.GetRequiredService<PostgresStore>(), Logger<PostgresListener>(sp)));
    }

    // The store's own retention settings came first; they mean the engine's defaults for completed and failed runs, and
    // apply where Orchestration:Retention leaves them unset (the registration runs after every option was configured).
    internal static void MapRetention(RetentionOptions retention, PostgresStoreOptions pg)
    {
        if (pg.RetentionPeriod is not { } period) return;
        var defaults = new RetentionOptions();
        retention.CompletedTtl ??= period;
        retention.FailedTtl ??= period;
        if (retention.Interval == defaults.Interval) retention.Interval = pg.RetentionInterval;
        if (retention.BatchSize == defaults.BatchSize) retention.BatchSize = pg.RetentionBatchSize;
    }

    private static ILogger<T> Logger<T>(IServiceProvider sp) => sp.GetService<ILoggerFactory>()?.CreateLogger<T>() ?? NullLogger<T>.Instance;
}
