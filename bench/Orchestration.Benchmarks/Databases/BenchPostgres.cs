using Npgsql;
using Orchestration.Benchmarks.Engine;

namespace Orchestration.Benchmarks.Databases;

/// <summary>
/// The Postgres server of a run: the one named by <c>--connection</c> / <c>ORCHESTRATION_BENCH_POSTGRES</c>, or a
/// throwaway server started like the tests start theirs. Every measurement gets its own database, dropped afterwards,
/// so no figure is measured on tables left over from another.
/// </summary>
internal sealed class BenchPostgres : IAsyncDisposable
{
    public const string EnvironmentVariable = "ORCHESTRATION_BENCH_POSTGRES";

    private readonly IAsyncDisposable? _owned;
    private int _sequence;

    private BenchPostgres(string adminConnectionString, IAsyncDisposable? owned, string origin)
    {
        AdminConnectionString = adminConnectionString;
        _owned = owned;
        Origin = origin;
    }

    public string AdminConnectionString { get; }

    /// <summary>Where the server came from, for the report.</summary>
    public string Origin { get; }

    public string? ServerVersion { get; private set; }

    public static async Task<BenchPostgres> StartAsync(string? connectionString, CancellationToken cancellationToken)
    {
        connectionString ??= Environment.GetEnvironmentVariable(EnvironmentVariable);
        BenchPostgres server;
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            server = new BenchPostgres(connectionString, null, "given connection string");
        }
        else
        {
            var launched = await ThrowawayPostgres.StartAsync(cancellationToken);
            server = new BenchPostgres(launched.ConnectionString, launched, "throwaway server started by the harness");
        }

        await using var conn = new NpgsqlConnection(server.AdminConnectionString);
        await conn.OpenAsync(cancellationToken);
        server.ServerVersion = conn.PostgreSqlVersion.ToString();
        return server;
    }

    /// <summary>Creates an empty database for one measurement; disposing the result drops it.</summary>
    public async Task<BenchDatabase> CreateDatabaseAsync(string label, CancellationToken cancellationToken)
    {
        var name = $"bench_{Sanitize(label)}_{Environment.ProcessId}_{Interlocked.Increment(ref _sequence)}";
        await using (var conn = new NpgsqlConnection(AdminConnectionString))
        {
            await conn.OpenAsync(cancellationToken);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        var cs = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
        return new BenchDatabase(name, cs, this);
    }

    internal async ValueTask DropAsync(BenchDatabase database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(AdminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database.Name}\" WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_owned is not null) await _owned.DisposeAsync();
    }

    private static string Sanitize(string label)
    {
        var chars = label.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
        var s = new string(chars);
        return s.Length > 30 ? s[..30] : s;
    }
}

/// <summary>A database created for one measurement.</summary>
internal sealed class BenchDatabase(string name, string connectionString, BenchPostgres server) : IAsyncDisposable
{
    public string Name { get; } = name;
    public string ConnectionString { get; } = connectionString;

    public ValueTask DisposeAsync() => server.DropAsync(this);

    /// <summary>Committed transactions of this database so far (pg_stat_database.xact_commit).</summary>
    public async Task<long> CommitsAsync(CancellationToken cancellationToken)
    {
        // Backends publish their counters at most once a second and when they go idle; a forced flush of our own
        // backend plus the caller's wait makes the figure complete.
        await using var conn = new NpgsqlConnection(server.AdminConnectionString);
        await conn.OpenAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = $1", conn);
        cmd.Parameters.AddWithValue(Name);
        await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", conn)) await clear.ExecuteNonQueryAsync(cancellationToken);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }
}

/// <summary>A server started from the initdb/pg_ctl on PATH exactly as the tests start theirs; stopped on dispose.</summary>
internal sealed class ThrowawayPostgres(Orchestration.Testing.PostgresServer server) : IAsyncDisposableConnection
{
    public string ConnectionString => server.AdminConnectionString;

    public static async Task<IAsyncDisposableConnection> StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            return new ThrowawayPostgres(await Orchestration.Testing.PostgresServer.StartOwnedAsync().WaitAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new StoreUnavailableException(
                $"no Postgres server: starting a throwaway one failed ({ex.Message}); pass --connection \"Host=...;Username=...\" or set {BenchPostgres.EnvironmentVariable}", ex);
        }
    }

    public ValueTask DisposeAsync() => server.DisposeAsync();
}

internal interface IAsyncDisposableConnection : IAsyncDisposable
{
    string ConnectionString { get; }
}
