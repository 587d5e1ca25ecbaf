using Microsoft.Data.Sqlite;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

/// <summary>
/// The embedded SQLite back end. One database file holds runs, tasks, attempts, run data, events, orgs and API keys.
/// Every write operation is one <c>BEGIN IMMEDIATE</c> transaction on a single writer connection (SQLite has one writer;
/// funnelling writes through one connection avoids lock contention inside a process). Reads use pooled connections and,
/// thanks to WAL, run alongside the writer on a consistent snapshot. Several processes on one machine may share the file:
/// SQLite's file lock serialises their writers, so a task is never claimed twice.
/// </summary>
/// <remarks>
/// Wake-ups (<see cref="WorkAvailable"/>, <see cref="TasksCancelled"/>) are in-process only: a host learns about work
/// enqueued by another process through its worker's safety poll.
/// </remarks>
public sealed partial class SqliteStore : IOrchestrationStore, IOrchestrationQueries, IIdentityStore, IDisposable, IAsyncDisposable
{
    private const int BusyTimeoutMilliseconds = 5000;

    // Commits between background checkpoints: small enough that the write-ahead log seldom reaches SQLite's own
    // checkpoint threshold (1,000 pages), which would make the committing writer copy it inline.
    private const int CommitsPerCheckpoint = 256;

    private readonly TimeProvider _time;
    private readonly string _writerConnectionString;
    private readonly string _readerConnectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _initGate = new();
    private readonly DelayedWake _retryWake;
    private SqliteConnection? _writer;
    private SqliteCommands? _db;
    private readonly RowCache _cache = new();
    private readonly SemaphoreSlim _checkpointDue = new(0, 1);
    private readonly CancellationTokenSource _stopCheckpoints = new();
    private Task? _checkpointer;
    private int _commitsSinceCheckpoint;

    /// <summary>Notified after each background checkpoint (for tests).</summary>
    internal WorkSignal CheckpointsDone { get; } = new();
    private volatile bool _initialized;
    private bool _disposed;

    /// <summary>
    /// Creates the store for <paramref name="connectionString"/> (for example <c>Data Source=orchestration.db</c>).
    /// Nothing is opened until <see cref="InitializeAsync"/> or the first operation, which create the file if needed and
    /// apply pending migrations.
    /// </summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string naming a database file.</param>
    /// <param name="timeProvider">The clock for every timestamp, lease expiry and retry time.</param>
    /// <exception cref="ArgumentException">The data source is empty or an in-memory database, which cannot be shared by the store's connections.</exception>
    public SqliteStore(string connectionString, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
            throw new ArgumentException($"Orchestration SQLite store needs a database file, not '{builder.DataSource}'. Use UseInMemory() for a throwaway store.", nameof(connectionString));
        if (builder.Mode == SqliteOpenMode.ReadOnly)
            throw new ArgumentException($"Orchestration SQLite store needs a writable database; '{builder.DataSource}' is opened read-only (Mode=ReadOnly).", nameof(connectionString));

        DataSource = builder.DataSource;
        _time = timeProvider;
        _retryWake = new DelayedWake(WorkAvailable, timeProvider);
        builder.Pooling = false;
        _writerConnectionString = builder.ToString();
        builder.Pooling = true;
        _readerConnectionString = builder.ToString();
    }

    /// <summary>The database file, as named by the connection string.</summary>
    public string DataSource { get; }

    /// <inheritdoc />
    public StoreCapabilities Capabilities { get; } = new(SharedAcrossProcesses: true, DatabaseClock: false, Durable: true);

    /// <inheritdoc />
    public WorkSignal WorkAvailable { get; } = new();

    /// <inheritdoc />
    public WorkSignal TasksCancelled { get; } = new();

    /// <summary>
    /// Opens the database (creating the file when missing), switches it to WAL and applies pending migrations. Safe to call
    /// repeatedly and from several processes at once; later calls return at once. Every operation calls it implicitly.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file cannot be opened, is not a database, or a migration failed; the message names the data source.</exception>
    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EnsureInitialized();
        return Task.CompletedTask;
    }

    private void EnsureInitialized()
    {
        if (_initialized) return;
        lock (_initGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_initialized) return;
            SqliteConnection? connection = null;
            try
            {
                CreateOwnerOnlyFile(DataSource);
                connection = new SqliteConnection(_writerConnectionString);
                connection.Open();
                var db = new SqliteCommands(connection, cache: true);
                ConfigureConnection(db, writer: true);
                SqliteMigrator.Apply(db, _time);
                _writer = connection;
                _db = db;
                _checkpointer = Task.Run(CheckpointLoopAsync);
                _initialized = true;
            }
            catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
            {
                connection?.Dispose();
                throw new InvalidOperationException(
                    $"Orchestration: cannot open the SQLite database '{DataSource}': {ex.Message}. Check that the directory exists, is writable, and that the file is an Orchestration SQLite database.",
                    ex);
            }
        }
    }

    /// <summary>
    /// Creates a missing database file readable and writable by its owner only (0600) before SQLite creates it with
    /// 0644 under a usual umask: the file holds every org's data and the API key hashes. SQLite gives the -wal and -shm
    /// files the main file's mode, so they follow. An existing file keeps the mode its operator chose.
    /// </summary>
    private static void CreateOwnerOnlyFile(string dataSource)
    {
        if (OperatingSystem.IsWindows() || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || File.Exists(dataSource)) return;
        var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (directory is null || !Directory.Exists(directory)) return; // SQLite's own open reports the missing directory.
        try
        {
            using var _ = new FileStream(dataSource, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(dataSource))
        {
            // Another process created it first; it keeps that process's mode.
        }
    }

    private static void ConfigureConnection(SqliteCommands db, bool writer)
    {
        db.Exec($"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}");
        if (!writer) return;
        // WAL lets readers run alongside the one writer; the mode is stored in the file, so setting it once suffices.
        db.Scalar("PRAGMA journal_mode = WAL");
        // NORMAL with WAL fsyncs at checkpoints only: a power loss may drop the last commits but never corrupts the file.
        db.Exec("PRAGMA synchronous = NORMAL");
        db.Exec("PRAGMA foreign_keys = ON");
        // Checkpoints normally come from CheckpointLoopAsync; SQLite's own, in the committing call, remain as a backstop.
        db.Exec("PRAGMA wal_autocheckpoint = 4000");
    }

    // Runs one write transaction on the single writer, then delivers its wake-ups (never before COMMIT). Claims,
    // completions and creates pass keepTasks: they keep the claimed-task images (see RowCache); any other operation may
    // change tasks behind those images, so it drops them.
    private Task<T> WriteAsync<T>(Func<WriteTx, T> work, CancellationToken cancellationToken) => WriteAsync(work, keepTasks: false, cancellationToken);

    private async Task<T> WriteAsync<T>(Func<WriteTx, T> work, bool keepTasks, CancellationToken cancellationToken)
    {
        EnsureInitialized();
        await _writeLock.WaitAsync(cancellationToken);
        WriteTx tx;
        T result;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var db = _db!;
            db.Exec("BEGIN IMMEDIATE");
            try
            {
                // Another connection (another process) committed since our last transaction: cached images may be stale.
                var version = (long)db.Scalar("PRAGMA data_version")!;
                if (version != _cache.DataVersion)
                {
                    _cache.Clear();
                    // Another process may have scheduled runs: the next claim looks for due ones again.
                    _nextScheduledAt = DateTimeOffset.MinValue;
                }

                _cache.DataVersion = version;
                if (!keepTasks) _cache.Tasks.Clear();
                tx = new WriteTx(db, _time.GetUtcNow(), _cache);
                result = work(tx);
                tx.Flush();
                db.Exec("COMMIT");
            }
            catch
            {
                // Images may hold changes that were never committed.
                _cache.Clear();
                _nextScheduledAt = DateTimeOffset.MinValue;
                Rollback(db);
                throw;
            }
        }
        finally
        {
            _writeLock.Release();
        }

        if (Interlocked.Increment(ref _commitsSinceCheckpoint) == CommitsPerCheckpoint) _checkpointDue.Release();
        if (tx.WakeWork) WorkAvailable.Notify();
        if (tx.WakeCancelled) TasksCancelled.Notify();
        if (tx.RetryWakeAt is { } at) _retryWake.WakeAt(at);
        return result;
    }

    private static void Rollback(SqliteCommands db)
    {
        try
        {
            db.Exec("ROLLBACK");
        }
        catch (SqliteException)
        {
            // SQLite may already have rolled back (for example after SQLITE_FULL); the original error matters more.
        }
    }

    // Copies the write-ahead log into the database file on a connection of its own, off the writer's path. Left to
    // itself SQLite checkpoints inside the commit that crosses 1,000 log pages, so every few hundred operations one
    // caller waits for the copy and its fsync (the tail of enqueue-to-start latency). A PASSIVE checkpoint never
    // blocks the writer or readers; if it cannot keep up, SQLite's own threshold still bounds the log as before.
    private async Task CheckpointLoopAsync()
    {
        try
        {
            await using var connection = new SqliteConnection(_writerConnectionString);
            await connection.OpenAsync(_stopCheckpoints.Token);
            using var db = new SqliteCommands(connection, cache: false);
            ConfigureConnection(db, writer: false);
            while (true)
            {
                await _checkpointDue.WaitAsync(_stopCheckpoints.Token);
                Interlocked.Exchange(ref _commitsSinceCheckpoint, 0);
                try
                {
                    db.Scalar("PRAGMA wal_checkpoint(PASSIVE)");
                    CheckpointsDone.Notify();
                }
                catch (SqliteException)
                {
                    // Busy (another process checkpointing) or an I/O hiccup: the next round, or SQLite's own
                    // threshold, checkpoints instead; nothing is lost, the log is only longer for a while.
                }
            }
        }
        catch (OperationCanceledException) when (_stopCheckpoints.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (SqliteException)
        {
            // Could not open a second connection: SQLite's own checkpoints remain.
        }
    }

    // Runs reads on a pooled connection inside one deferred transaction, so multi-statement reads see one snapshot.
    private async Task<T> ReadAsync<T>(Func<SqliteCommands, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EnsureInitialized();
        await using var connection = new SqliteConnection(_readerConnectionString);
        await connection.OpenAsync(cancellationToken);
        using var db = new SqliteCommands(connection, cache: false);
        ConfigureConnection(db, writer: false);
        db.Exec("BEGIN");
        try
        {
            return work(db);
        }
        finally
        {
            db.Exec("COMMIT");
        }
    }

    /// <summary>Closes the writer connection and the pooled readers. Operations after disposal throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_initGate)
        {
            if (_disposed) return;
            _disposed = true;
        }

        _stopCheckpoints.Cancel();
        try
        {
            _checkpointer?.Wait();
        }
        catch (AggregateException)
        {
            // The loop ends only by cancellation; nothing to report on disposal.
        }

        _writeLock.Wait();
        try
        {
            _retryWake.Dispose();
            _db?.Dispose();
            _writer?.Dispose();
            _db = null;
            _writer = null;
            using var probe = new SqliteConnection(_readerConnectionString);
            SqliteConnection.ClearPool(probe);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc cref="Dispose" />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
