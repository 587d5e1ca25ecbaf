using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Orchestration.Postgres;

// Feeds the store's signals from LISTEN on a dedicated connection. While LISTEN is in place the store's WorkAvailable
// signal is marked reliable, and idle runtimes wait on it with the long safety poll (WorkerOptions.ListeningPollInterval);
// when the connection drops the mark is cleared, so they fall back to the short poll (WorkerOptions.PollInterval) until
// it is back. On every (re)connect both signals fire once, because notifications sent while disconnected are gone: every
// waiter claims once more, so no wake-up is lost to the gap.
internal sealed partial class PostgresListener(PostgresStore store, ILogger<PostgresListener> logger) : BackgroundService
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _connected;
    private int _connects;
    private int? _processId;

    public bool IsConnected => _connected;

    // How many times LISTEN was put in place, and the server process holding it (tests break the connection with it).
    internal int Connects => Volatile.Read(ref _connects);

    internal int? ProcessId => _processId;

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
                _processId = conn.ProcessID;
                Interlocked.Increment(ref _connects);
                store.WorkAvailable.Reliable = true;
                _firstConnect.TrySetResult();
                delay = TimeSpan.FromMilliseconds(100);
                LogListening(logger, store.Channel);
                // Scheduled times announced while disconnected are gone too: the next claim looks them up.
                store.ForgetScheduledTimes();
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
                store.WorkAvailable.Reliable = false;
                return;
            }
            catch (Exception ex)
            {
                _connected = false;
                store.WorkAvailable.Reliable = false;
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
