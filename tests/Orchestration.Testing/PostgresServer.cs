using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Orchestration.Testing;

/// <summary>
/// The PostgreSQL server the tests use. <see cref="Shared"/> is the connection string in <c>ORCHESTRATION_TEST_POSTGRES</c>
/// when set, otherwise a throwaway server started once per test process from <c>initdb</c>/<c>pg_ctl</c> on PATH (as the
/// <c>postgres</c> user when running as root) in a temp directory, on 127.0.0.1 and a free port, tuned for speed
/// (fsync off). It is stopped by <c>pg_ctl stop</c> at process exit. No Postgres available is a failure, never a skip.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Environment variable holding a connection string to an existing server (a superuser or a role that may create databases).</summary>
    public const string EnvironmentVariable = "ORCHESTRATION_TEST_POSTGRES";

    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(StartSharedAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lock Gate = new();
    private static readonly List<PostgresServer> Owned = [];
    private readonly string? _dir;
    private readonly string? _dataDir;
    private NpgsqlDataSource? _testDatabase;
    private int _stopped;

    static PostgresServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAllOwned();

    private PostgresServer(string adminConnectionString, string? dir, string? dataDir, int port)
    {
        AdminConnectionString = adminConnectionString;
        _dir = dir;
        _dataDir = dataDir;
        Port = port;
    }

    /// <summary>Connection string with rights to create databases.</summary>
    public string AdminConnectionString { get; }

    /// <summary>True when this process started the server (it can be restarted and is stopped at exit).</summary>
    public bool IsOwned => _dataDir is not null;

    /// <summary>TCP port of an owned server.</summary>
    public int Port { get; }

    /// <summary>The server shared by every test of this process.</summary>
    public static Task<PostgresServer> Shared => SharedServer.Value;

    /// <summary>
    /// A connection string to a database of its own, created from template0. Use for tests that need a whole database
    /// (several hosts, retention); for schema-level isolation see <see cref="NewSchemaName"/>.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = "test_" + Guid.NewGuid().ToString("N");
        await using (var conn = new NpgsqlConnection(AdminConnectionString))
        {
            await conn.OpenAsync(cancellationToken);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0", conn);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// A data source over one database shared by the tests of this process (created on first use); tests isolate
    /// themselves in it by schema.
    /// </summary>
    public async Task<NpgsqlDataSource> TestDatabaseAsync()
    {
        if (_testDatabase is not null) return _testDatabase;
        var cs = await CreateDatabaseAsync();
        lock (Gate)
        {
            _testDatabase ??= NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cs) { MaxPoolSize = 50, MaxAutoPrepare = 64 }.ConnectionString);
            return _testDatabase;
        }
    }

    /// <summary>A fresh schema name, unique across tests and processes.</summary>
    public static string NewSchemaName() => "t_" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Starts a throwaway server for this caller alone (tests that restart or kill the server). Needs the PostgreSQL
    /// binaries on PATH even when <see cref="EnvironmentVariable"/> is set.
    /// </summary>
    public static async Task<PostgresServer> StartOwnedAsync()
    {
        var server = await Task.Run(StartOwned);
        lock (Gate) Owned.Add(server);
        return server;
    }

    /// <summary><c>pg_ctl restart -m fast</c>: every connection is dropped, the data stays.</summary>
    public Task RestartAsync()
    {
        if (!IsOwned) throw new InvalidOperationException("only a server started by the tests can be restarted");
        return Task.Run(() => PgCtl("restart", "-m", "fast", "-w", "-t", "60", "-l", Path.Combine(_dir!, "server.log"), "-o", ServerOptions(Port)));
    }

    /// <summary>Stops an owned server (by its data directory, i.e. its own postmaster PID) and deletes its files.</summary>
    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops every server this process started. Safe to call more than once; test projects call it from a [SetUpFixture].</summary>
    public static void StopAllOwned()
    {
        List<PostgresServer> servers;
        lock (Gate) servers = [.. Owned];
        foreach (var s in servers) s.Stop();
    }

    private void Stop()
    {
        if (!IsOwned || Interlocked.Exchange(ref _stopped, 1) == 1) return;
        _testDatabase?.Dispose();
        NpgsqlConnection.ClearAllPools();
        try
        {
            PgCtl("stop", "-m", "immediate", "-w");
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"PostgresServer: stopping {_dataDir} failed: {ex.Message}");
        }

        try
        {
            Directory.Delete(_dir!, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            await using var conn = new NpgsqlConnection(external);
            await conn.OpenAsync();
            return new PostgresServer(external, null, null, 0);
        }

        return await StartOwnedAsync();
    }

    private static PostgresServer StartOwned()
    {
        var initdb = FindOnPath("initdb");
        if (initdb is null || FindOnPath("pg_ctl") is null)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is required for these tests: set {EnvironmentVariable} to a connection string, or put initdb and pg_ctl on PATH. " +
                (Environment.GetEnvironmentVariable("CI") == "true" ? "(CI=true: this is a failure, not a skip.)" : ""));
        }

        var dir = Path.Combine(Path.GetTempPath(), "orch-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var dataDir = Path.Combine(dir, "data");
        var port = FreePort();
        var server = new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Timeout=15", dir, dataDir, port);
        if (IsRoot()) Run("chown", "-R", "postgres:postgres", dir);
        server.RunTool("initdb", "-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync");
        server.PgCtl("start", "-w", "-t", "60", "-l", Path.Combine(dir, "server.log"), "-o", ServerOptions(port));
        return server;
    }

    private static string ServerOptions(int port) =>
        $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off " +
        "-c max_connections=400 -c shared_buffers=128MB -c log_min_messages=warning";

    private void PgCtl(params string[] args) => RunTool("pg_ctl", ["-D", _dataDir!, .. args]);

    private void RunTool(string tool, params string[] args)
    {
        var path = FindOnPath(tool) ?? throw new InvalidOperationException($"{tool} not on PATH");
        if (IsRoot()) Run("runuser", ["-u", "postgres", "--", path, .. args]);
        else Run(path, args);
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 120 s");
        }

        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}: {stdout.Result} {stderr.Result}");
    }

    private static bool IsRoot() => OperatingSystem.IsLinux() && Environment.UserName == "root";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindOnPath(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }

        return null;
    }
}
