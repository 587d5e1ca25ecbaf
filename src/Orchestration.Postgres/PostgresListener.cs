using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Orchestration.Postgres;

// Feeds the store's signals from LISTEN on a dedicated connection. When the connection drops, the runtime's safety
// poll (WorkerOptions.PollInterval) covers the gap; on every (re)connect both signals fire once, because
// notifications sent while disconnected are gone.
internal sealed partial class PostgresListener(PostgresStore store, ILogger<PostgresListener> logger) : BackgroundService
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _connected;

    public bool IsConnected => _connected;

    // Completes once the first LISTEN is in place (tests await it rather than polling).
    public Task Listening => _firstConnect.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!store.Options.Listen) return;
        await Task.Yield();
        var delay = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.MigrateAsync(stoppingToken);
                await using var conn = await store.DataSource.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, e) => store.OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand("LISTEN " + PgNames.Quote(store.Channel), conn))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                _connected = true;
                _firstConnect.TrySetResult();
                delay = TimeSpan.FromMilliseconds(100);
                LogListening(logger, store.Channel);
                store.WorkAvailable.Notify();
                store.TasksCancelled.Notify();
                while (!stoppingToken.IsCancellationRequested)
                {
                    // A silent network loss never raises an error on a waiting socket; the keep-alive query does.
                    if (!await conn.WaitAsync(KeepAlive, stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", conn);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _connected = false;
                LogListenerLost(logger, ex, delay);
                store.WorkAvailable.Notify();
            }

            try
            {
                await Task.Delay(delay, store.Time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, store.Options.MaxReconnectDelay.TotalMilliseconds));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for wake-ups on channel {Channel}")]
    private static partial void LogListening(ILogger logger, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wake-up listener connection lost; polling until it reconnects in {Delay}")]
    private static partial void LogListenerLost(ILogger logger, Exception ex, TimeSpan delay);
}
