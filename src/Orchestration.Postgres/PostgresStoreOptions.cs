namespace Orchestration.Postgres;

/// <summary>Settings of the PostgreSQL store.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>Schema holding every table; created by the migrations when missing. Default <c>orchestration</c>.</summary>
    public string Schema { get; set; } = "orchestration";

    /// <summary>
    /// False (default): every timestamp and every time comparison (lease expiry, retry due, run deadlines) uses the
    /// database's clock, so hosts with skewed clocks cannot steal live leases. True: the injected
    /// <see cref="TimeProvider"/> is used instead. Only for tests driven by a fake clock, or a single host.
    /// </summary>
    public bool UseHostClock { get; set; }

    /// <summary>Apply pending migrations when the store is first used (under an advisory lock). Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>Listen for NOTIFY wake-ups on a dedicated connection (hosted use). Default true.</summary>
    public bool Listen { get; set; } = true;

    /// <summary>
    /// Runs finished longer ago than this are deleted with their tasks, data and events, on the leader. The same thing as
    /// <c>Orchestration:Retention</c>'s <c>CompletedTtl</c> and <c>FailedTtl</c> (<see cref="Hosting.RetentionOptions"/>),
    /// which it sets where they are unset; prefer those, which work on every store. Null (default) keeps everything.
    /// </summary>
    public TimeSpan? RetentionPeriod { get; set; }

    /// <summary>How often the leader looks for runs past <see cref="RetentionPeriod"/>; sets <c>Retention.Interval</c> when that is at its default. Default 1 minute.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Runs deleted per retention transaction, so deletes never hold long locks; sets <c>Retention.BatchSize</c> when that is at its default. Default 500.</summary>
    public int RetentionBatchSize { get; set; } = 500;

    /// <summary>Upper bound of the reconnect backoff of the listener and leader connections. Default 5 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Schema)) return "Orchestration: Postgres Schema must not be empty.";
        if (RetentionPeriod is { } r && r <= TimeSpan.Zero) return "Orchestration: Postgres RetentionPeriod must be positive when set.";
        if (RetentionInterval <= TimeSpan.Zero) return "Orchestration: Postgres RetentionInterval must be positive.";
        if (RetentionBatchSize < 1) return "Orchestration: Postgres RetentionBatchSize must be at least 1.";
        if (MaxReconnectDelay <= TimeSpan.Zero) return "Orchestration: Postgres MaxReconnectDelay must be positive.";
        return null;
    }
}
