using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Orchestration.Postgres;

// Applies migrations at start-up. A database that is down at that moment does not stop the host: the store migrates
// lazily before its first operation, and the runtime's loops retry until the database is back.
internal sealed partial class PostgresMigrationService(PostgresStore store, ILogger<PostgresMigrationService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.MigrateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            LogDeferred(logger, ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not migrate the Orchestration schema at start-up; will retry on first use")]
    private static partial void LogDeferred(ILogger logger, Exception ex);
}
