using Microsoft.Extensions.Logging;
using Npgsql;
using Orchestration.Hosting;

namespace Orchestration.Postgres;

// Leadership is a session-level advisory lock held on a dedicated connection: it lasts exactly as long as that
// session, so a host that loses its connection (or dies) loses leadership and the lock frees itself for another host.
internal sealed partial class PostgresLeaderElector(PostgresStore store, ILogger<PostgresLeaderElector> logger) : ILeaderElector, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly long _key = PgNames.LockKey(store.Schema, "leader");
    private NpgsqlConnection? _connection;
    private bool _leading;

    public bool IsLeader => _leading;

    /// <summary>The server process of the session holding (or trying for) leadership; null without one (for tests).</summary>
    internal int? SessionProcessId => _connection?.ProcessID;

    public async ValueTask<bool> TryLeadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_leading && _connection is not null)
            {
                try
                {
                    // One round trip proves the session, and with it the lock, still exists.
                    await using var ping = new NpgsqlCommand("SELECT 1", _connection) { CommandTimeout = 5 };
                    await ping.ExecuteScalarAsync(cancellationToken);
                    return true;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogLost(logger, ex);
                    await DropAsync();
                    return false;
                }
            }

            try
            {
                _connection ??= await store.DataSource.OpenConnectionAsync(cancellationToken);
                await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", _connection) { CommandTimeout = 5 };
                cmd.Parameters.Add(new NpgsqlParameter { Value = _key });
                _leading = (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
                if (_leading) LogAcquired(logger, store.Schema);
                return _leading;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogTryFailed(logger, ex);
                await DropAsync();
                return false;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task DropAsync()
    {
        _leading = false;
        var conn = _connection;
        _connection = null;
        if (conn is null) return;
        try
        {
            await conn.DisposeAsync();
        }
        catch (Exception)
        {
            // A broken connection may fail to close; it is discarded either way.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_leading && _connection is not null)
            {
                try
                {
                    await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", _connection) { CommandTimeout = 5 };
                    cmd.Parameters.Add(new NpgsqlParameter { Value = _key });
                    await cmd.ExecuteScalarAsync();
                }
                catch (Exception)
                {
                    // Closing the session releases the lock anyway.
                }
            }

            await DropAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This host is now the leader for schema {Schema}")]
    private static partial void LogAcquired(ILogger logger, string schema);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leadership lost: the leader connection failed")]
    private static partial void LogLost(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not try for leadership")]
    private static partial void LogTryFailed(ILogger logger, Exception ex);
}
