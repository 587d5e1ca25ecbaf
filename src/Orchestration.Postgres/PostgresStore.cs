using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orchestration.Storage;

namespace Orchestration.Postgres;

/// <summary>
/// PostgreSQL back end: many hosts may share one database. Claims use <c>FOR UPDATE SKIP LOCKED</c>; every write that
/// can change a run's outcome locks the run row first, so promotion, skipping and run finalisation see a consistent
/// run even when several hosts complete its tasks at once. By default every time comes from the database clock.
/// </summary>
public sealed partial class PostgresStore : IOrchestrationStore, IOrchestrationQueries, IIdentityStore, IMaintenanceSchedule, IAsyncDisposable, IDisposable
{
    private static readonly string[] Terminal = ["completed", "failed", "cancelled", "skipped"];
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgresStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _quotedSchema;
    private readonly ConcurrentDictionary<string, string> _sql = new(StringComparer.Ordinal);
    private readonly DelayedWake _retryWake;
    private readonly SemaphoreSlim _migrateGate = new(1, 1);
    private readonly long _claimLockKey;
    private volatile bool _migrated;

    /// <summary>Creates a store over <paramref name="dataSource"/>. The store does not dispose a data source it was given.</summary>
    public PostgresStore(NpgsqlDataSource dataSource, PostgresStoreOptions options, TimeProvider timeProvider, ILogger<PostgresStore>? logger = null)
        : this(dataSource, ownsDataSource: false, options, timeProvider, logger)
    {
    }

    /// <summary>Creates a store that opens its own data source from <paramref name="connectionString"/> and disposes it.</summary>
    public PostgresStore(string connectionString, PostgresStoreOptions options, TimeProvider timeProvider, ILogger<PostgresStore>? logger = null)
        : this(NpgsqlDataSource.Create(WithAutoPrepare(connectionString)), ownsDataSource: true, options, timeProvider, logger)
    {
    }

    // The store's statements are few and planned on every call otherwise; their plans cost as much as running them.
    // A connection string that sets Max Auto Prepare itself keeps its value.
    internal static string WithAutoPrepare(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase) && !connectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
            builder.MaxAutoPrepare = 64;
        return builder.ConnectionString;
    }

    private PostgresStore(NpgsqlDataSource dataSource, bool ownsDataSource, PostgresStoreOptions options, TimeProvider timeProvider, ILogger? logger)
    {
        var problem = options.Validate();
        if (problem is not null) throw new ArgumentException(problem, nameof(options));
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _options = options;
        _time = timeProvider;
        _logger = logger ?? NullLogger.Instance;
        _quotedSchema = PgNames.Quote(options.Schema);
        _claimLockKey = PgNames.LockKey(options.Schema, "claim");
        Channel = "orchestration_" + options.Schema;
        _retryWake = new DelayedWake(WorkAvailable, timeProvider);
        Capabilities = new StoreCapabilities(SharedAcrossProcesses: true, DatabaseClock: !options.UseHostClock, Durable: true);
    }

    /// <inheritdoc />
    public StoreCapabilities Capabilities { get; }

    /// <inheritdoc />
    public WorkSignal WorkAvailable { get; } = new();

    /// <inheritdoc />
    public WorkSignal TasksCancelled { get; } = new();

    /// <summary>The schema this store uses.</summary>
    public string Schema => _options.Schema;

    internal NpgsqlDataSource DataSource => _dataSource;

    internal PostgresStoreOptions Options => _options;

    internal TimeProvider Time => _time;

    // The NOTIFY channel; one per schema so several deployments can share a database.
    internal string Channel { get; }

    /// <summary>Applies pending migrations (under an advisory lock). Called on first use; hosts call it at start-up.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        if (_migrated) return;
        await _migrateGate.WaitAsync(cancellationToken);
        try
        {
            if (_migrated) return;
            if (_options.MigrateOnStart) await PostgresMigrator.MigrateAsync(_dataSource, _options.Schema, cancellationToken);
            _migrated = true;
        }
        finally
        {
            _migrateGate.Release();
        }
    }

    // Wake-ups heard from other hosts (or this one) through LISTEN.
    internal void OnNotification(string payload)
    {
        if (payload.StartsWith('c')) TasksCancelled.Notify();
        else if (payload.StartsWith("s:", StringComparison.Ordinal) && long.TryParse(payload.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture, out var ticks))
            LearnScheduledAt(new DateTimeOffset(ticks, TimeSpan.Zero));
        else if (payload.StartsWith("r:", StringComparison.Ordinal) && double.TryParse(payload.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture, out var ms))
            _retryWake.WakeAt(_time.GetUtcNow() + TimeSpan.FromMilliseconds(ms));
        else WorkAvailable.Notify();
    }

    // Renders a statement for this schema and clock: {s} is the schema, {now} the clock.
    private string S(string template) => _sql.GetOrAdd(template, t => t
        .Replace("{s}", _quotedSchema, StringComparison.Ordinal)
        .Replace("{now}", _options.UseHostClock ? "@now" : "now()", StringComparison.Ordinal));

    private DateTimeOffset? HostNow() => _options.UseHostClock ? _time.GetUtcNow() : null;

    // Runs one atomic unit of work. Deadlocks and serialization failures (two transactions touching the same runs in
    // different orders) are retried here; connection failures surface to the caller, whose loop retries with backoff.
    private async Task<T> InTransactionAsync<T>(Func<PgTx, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await MigrateAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var npgsqlTx = await conn.BeginTransactionAsync(cancellationToken);
                var tx = new PgTx(conn, npgsqlTx, HostNow());
                var result = await work(tx, cancellationToken);
                await NotifyInTransactionAsync(tx, cancellationToken);
                await npgsqlTx.CommitAsync(cancellationToken);
                AfterCommit(tx);
                return result;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < 5)
            {
                LogTransientConflict(_logger, ex.SqlState, attempt);
            }
        }
    }

    // Runs one atomic unit of work that is a single command (one or more statements) without BEGIN and COMMIT: the
    // statements of one command are sent together and run in one implicit transaction that commits when the last one
    // ends, so the work costs one round trip instead of three. The command must send its own NOTIFY (it cannot be a
    // second command); local wake-ups recorded on the PgTx fire after it returns. Deadlocks are retried as above.
    private async Task<T> InOneRoundTripAsync<T>(Func<PgTx, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await MigrateAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken);
                var tx = new PgTx(conn, null, HostNow());
                var result = await work(tx, cancellationToken);
                AfterCommit(tx);
                return result;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < 5)
            {
                LogTransientConflict(_logger, ex.SqlState, attempt);
            }
        }
    }

    private async Task<T> OnConnectionAsync<T>(Func<PgTx, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await MigrateAsync(cancellationToken);
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await work(new PgTx(conn, null, HostNow()), cancellationToken);
    }

    private async Task NotifyInTransactionAsync(PgTx tx, CancellationToken ct)
    {
        var payloads = new List<string>(3);
        if (tx.WorkAvailable) payloads.Add("w");
        if (tx.TasksCancelled) payloads.Add("c");
        if (tx.EarliestRetry is { } d) payloads.Add("r:" + d.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture));
        // As an absolute instant: each host compares it with its own clock, as it does the not-before times it reads.
        if (tx.EarliestScheduled is { } s) payloads.Add("s:" + s.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (payloads.Count == 0) return;
        await tx.ExecAsync("SELECT pg_notify(@channel, p) FROM unnest(@payloads) AS p", new { channel = Channel, payloads = payloads.ToArray() }, ct);
    }

    private void AfterCommit(PgTx tx)
    {
        if (tx.WorkAvailable) WorkAvailable.Notify();
        if (tx.TasksCancelled) TasksCancelled.Notify();
        if (tx.EarliestRetry is { } d) _retryWake.WakeAt(_time.GetUtcNow() + d);
        if (tx.EarliestScheduled is { } s) LearnScheduledAt(s);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await AnalyzeIdleAsync();
        _retryWake.Dispose();
        if (_ownsDataSource) await _dataSource.DisposeAsync();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        AnalyzeIdleAsync().GetAwaiter().GetResult();
        _retryWake.Dispose();
        if (_ownsDataSource) _dataSource.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Transaction conflict {SqlState} (attempt {Attempt}); retrying")]
    private static partial void LogTransientConflict(ILogger logger, string sqlState, int attempt);
}
