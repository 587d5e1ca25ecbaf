using System.Data.Common;
using Dapper;
using Npgsql;

namespace Orchestration.Postgres;

// One unit of work on one connection and transaction. Collects what must happen once it commits (local wake-ups);
// NOTIFY is sent inside the transaction so other hosts hear of the change exactly when it becomes visible.
internal sealed class PgTx(NpgsqlConnection connection, NpgsqlTransaction? transaction, DateTimeOffset? hostNow)
{
    public NpgsqlConnection Connection { get; } = connection;
    public NpgsqlTransaction? Transaction { get; } = transaction;
    public bool WorkAvailable { get; set; }
    public bool TasksCancelled { get; set; }
    public TimeSpan? EarliestRetry { get; private set; }

    /// <summary>The earliest start time of a run this unit of work scheduled, announced to every host on commit.</summary>
    public DateTimeOffset? EarliestScheduled { get; private set; }

    public void ScheduledAt(DateTimeOffset at)
    {
        if (EarliestScheduled is null || at < EarliestScheduled) EarliestScheduled = at;
    }

    public void RetryIn(TimeSpan delay)
    {
        if (EarliestRetry is null || delay < EarliestRetry) EarliestRetry = delay;
    }

    private DynamicParameters Args(object? args)
    {
        var p = new DynamicParameters(args);
        if (hostNow is { } now) p.Add("now", now);
        return p;
    }

    public Task<int> ExecAsync(string sql, object? args, CancellationToken ct) =>
        Connection.ExecuteAsync(new CommandDefinition(sql, Args(args), Transaction, cancellationToken: ct));

    public Task<T?> ScalarAsync<T>(string sql, object? args, CancellationToken ct) =>
        Connection.ExecuteScalarAsync<T>(new CommandDefinition(sql, Args(args), Transaction, cancellationToken: ct));

    public async Task<List<T>> QueryAsync<T>(string sql, object? args, CancellationToken ct) =>
        (await Connection.QueryAsync<T>(new CommandDefinition(sql, Args(args), Transaction, cancellationToken: ct))).AsList();

    // skipResults: leading statements of a multi-statement command whose results are not wanted (a lock taken
    // in the same round trip).
    // Stops at the first row take refuses; the rest of the result is skipped by the reader, never mapped.
    public async Task<List<T>> ReadWhileAsync<T>(string sql, object? args, Func<DbDataReader, T> map, Func<T, bool> take, CancellationToken ct)
    {
        await using var reader = await Connection.ExecuteReaderAsync(new CommandDefinition(sql, Args(args), Transaction, cancellationToken: ct));
        var list = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            var item = map(reader);
            if (!take(item)) break;
            list.Add(item);
        }

        return list;
    }

    public async Task<List<T>> ReadAsync<T>(string sql, object? args, Func<DbDataReader, T> map, CancellationToken ct, int skipResults = 0)
    {
        await using var reader = await Connection.ExecuteReaderAsync(new CommandDefinition(sql, Args(args), Transaction, cancellationToken: ct));
        for (var i = 0; i < skipResults; i++) await reader.NextResultAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct)) list.Add(map(reader));
        return list;
    }
}
