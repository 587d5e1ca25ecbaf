using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestration.Sqlite;
using Orchestration.Storage;

namespace Orchestration.Hosting;

/// <summary>Registers the SQLite back end.</summary>
public static class SqliteOrchestrationExtensions
{
    /// <summary>
    /// Uses an SQLite database file as the store (WAL, one writer connection, pooled readers). One <see cref="SqliteStore"/>
    /// singleton serves <see cref="IOrchestrationStore"/>, <see cref="IOrchestrationQueries"/> and <see cref="IIdentityStore"/>,
    /// reading time from the container's <see cref="TimeProvider"/>. A hosted service opens the file and applies migrations
    /// when the host starts, so a bad path or a file that is not a database stops start-up with a message naming it.
    /// </summary>
    /// <param name="options">The options being configured.</param>
    /// <param name="connectionString">For example <c>Data Source=orchestration.db</c>; the file is created when missing.</param>
    public static OrchestrationOptions UseSqlite(this OrchestrationOptions options, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return options.UseStore("sqlite", services =>
        {
            services.AddSingleton(sp => new SqliteStore(connectionString, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IOrchestrationStore>(sp => sp.GetRequiredService<SqliteStore>());
            services.AddSingleton<IOrchestrationQueries>(sp => sp.GetRequiredService<SqliteStore>());
            services.AddSingleton<IIdentityStore>(sp => sp.GetRequiredService<SqliteStore>());
            services.AddSingleton<IExecutorRegistry>(sp => sp.GetRequiredService<SqliteStore>());
            services.AddSingleton<IWebhookStore>(sp => sp.GetRequiredService<SqliteStore>());
            services.AddSingleton<IRetentionStore>(sp => sp.GetRequiredService<SqliteStore>());
            services.AddSingleton<IDefinitionStore>(sp => sp.GetRequiredService<SqliteStore>());
            services.AddSingleton<IRunSearchIndex>(sp => sp.GetRequiredService<SqliteStore>());
            // Registered before the worker and maintenance services (AddOrchestration adds them after the store), so the
            // schema is in place before anything claims.
            services.AddHostedService<SqliteStartupService>();
        });
    }
}

internal sealed class SqliteStartupService(SqliteStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
