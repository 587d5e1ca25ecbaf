using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// Retention and storage growth of a back end: deletes finished runs past their time to live, with every row that
/// belongs to them, and old webhook deliveries; reports how many rows each table holds. The leader's retention loop
/// calls <see cref="DeleteExpiredRunsAsync"/>; the metrics and admin stats read <see cref="GetStorageGrowthAsync"/>.
/// </summary>
public interface IRetentionStore
{
    /// <summary>
    /// One batch of retention, in one transaction: deletes up to <see cref="RetentionPass.BatchSize"/> finished runs that
    /// match a target of <paramref name="pass"/> and finished longer ago than its time to live (by the store's clock),
    /// with their tasks, attempts, dependency edges, run data and events; then up to the same number of finished webhook
    /// deliveries older than <see cref="RetentionPass.WebhookDeliveryTtl"/>. A pending or running run is never deleted,
    /// whatever its age; nor is a pending delivery. Call again while <see cref="RetentionResult.IsFull"/>.
    /// </summary>
    Task<RetentionResult> DeleteExpiredRunsAsync(RetentionPass pass, CancellationToken cancellationToken);

    /// <summary>
    /// Rows per table and the creation time of the oldest row, every org together. Cheap enough to call every few
    /// seconds; a store may estimate counts of very large tables (<see cref="TableGrowth.Estimated"/>).
    /// </summary>
    Task<IReadOnlyList<TableGrowth>> GetStorageGrowthAsync(CancellationToken cancellationToken);
}

/// <summary>Which finished runs a retention target applies to.</summary>
public enum RetentionState
{
    /// <summary>Completed runs.</summary>
    Completed,
    /// <summary>Failed and cancelled runs: the ones someone may want to look into, so they have a time to live of their own.</summary>
    Failed,
}

/// <summary>A run's family and name, as a retention rule matches them; a null part matches anything.</summary>
/// <param name="Family">The family that created the run (<c>jobs</c>, <c>workflows</c>, ...), or null for any.</param>
/// <param name="Name">The run's name (a workflow's name, a job request's job type), or null for any.</param>
public sealed record RunMatch(string? Family, string? Name)
{
    /// <summary>True when a run of <paramref name="family"/> named <paramref name="name"/> matches.</summary>
    public bool Matches(string family, string? name) =>
        (Family is null || string.Equals(Family, family, StringComparison.Ordinal)) && (Name is null || string.Equals(Name, name, StringComparison.Ordinal));
}

/// <summary>
/// One thing a retention pass deletes: runs in <see cref="State"/> that match <see cref="Match"/> but none of
/// <see cref="Except"/> (the runs more specific rules decide), finished longer than <see cref="Ttl"/> ago.
/// </summary>
/// <param name="Rule">The rule's name, for counts and logs (<c>default</c>, or <c>family/name</c> with <c>*</c> for any).</param>
/// <param name="State">Completed, or failed and cancelled.</param>
/// <param name="Match">Which runs; both parts null for every run.</param>
/// <param name="Ttl">How long after finishing a run is kept; zero deletes it at the next pass.</param>
/// <param name="Except">Runs matched here belong to another target.</param>
public sealed record RetentionTarget(string Rule, RetentionState State, RunMatch Match, TimeSpan Ttl, IReadOnlyList<RunMatch> Except)
{
    /// <summary>The run statuses of <see cref="State"/>.</summary>
    public IReadOnlyList<RunStatus> Statuses => State == RetentionState.Completed ? CompletedStatuses : FailedStatuses;

    /// <summary>True when this target decides a finished run of <paramref name="family"/> named <paramref name="name"/> in <paramref name="status"/>.</summary>
    public bool Applies(RunStatus status, string family, string? name)
    {
        if (!Statuses.Contains(status) || !Match.Matches(family, name)) return false;
        foreach (var e in Except)
            if (e.Matches(family, name)) return false;
        return true;
    }

    private static readonly RunStatus[] CompletedStatuses = [RunStatus.Completed];
    private static readonly RunStatus[] FailedStatuses = [RunStatus.Failed, RunStatus.Cancelled];
}

/// <summary>What one retention batch deletes (see <see cref="IRetentionStore.DeleteExpiredRunsAsync"/>).</summary>
public sealed record RetentionPass
{
    /// <summary>The run targets, in the order they are served within a batch.</summary>
    public required IReadOnlyList<RetentionTarget> Targets { get; init; }

    /// <summary>Finished webhook deliveries created longer ago than this are deleted; null keeps them.</summary>
    public TimeSpan? WebhookDeliveryTtl { get; init; }

    /// <summary>At most this many runs, and this many deliveries, per batch (one transaction).</summary>
    public required int BatchSize { get; init; }
}

/// <summary>Runs one target deleted in a batch.</summary>
/// <param name="Rule">The target's rule.</param>
/// <param name="State">The target's state.</param>
/// <param name="Runs">Runs deleted.</param>
public sealed record RetentionCount(string Rule, RetentionState State, int Runs);

/// <summary>What a retention batch deleted.</summary>
/// <param name="Runs">Runs deleted per target; targets that deleted nothing may be left out.</param>
/// <param name="WebhookDeliveries">Webhook deliveries deleted.</param>
/// <param name="BatchSize">The batch size asked for.</param>
public sealed record RetentionResult(IReadOnlyList<RetentionCount> Runs, int WebhookDeliveries, int BatchSize)
{
    /// <summary>Runs deleted, every target together.</summary>
    public int TotalRuns => Runs.Sum(r => r.Runs);

    /// <summary>True when the batch was full (of runs or of deliveries): more may be due, so call again.</summary>
    public bool IsFull => TotalRuns >= BatchSize || WebhookDeliveries >= BatchSize;
}

/// <summary>Rows of one table of a store.</summary>
/// <param name="Table">The table (<c>runs</c>, <c>tasks</c>, <c>attempts</c>, <c>events</c>, <c>run_data</c>, <c>webhook_deliveries</c>, <c>executors</c>).</param>
/// <param name="Rows">How many rows it holds.</param>
/// <param name="OldestAt">When its oldest row was written (executors: the longest-unseen one's last call); null when empty.</param>
/// <param name="Estimated">True when <see cref="Rows"/> is the database's estimate rather than a count.</param>
public sealed record TableGrowth(string Table, long Rows, DateTimeOffset? OldestAt, bool Estimated = false);

/// <summary>The table names of <see cref="TableGrowth"/>, the same in every store.</summary>
public static class GrowthTables
{
    /// <summary>Runs.</summary>
    public const string Runs = "runs";
    /// <summary>Tasks.</summary>
    public const string Tasks = "tasks";
    /// <summary>Ended attempts.</summary>
    public const string Attempts = "attempts";
    /// <summary>Events.</summary>
    public const string Events = "events";
    /// <summary>Run data entries.</summary>
    public const string RunData = "run_data";
    /// <summary>Webhook deliveries.</summary>
    public const string WebhookDeliveries = "webhook_deliveries";
    /// <summary>Registered remote executors.</summary>
    public const string Executors = "executors";

    /// <summary>Every table, in the order they are reported.</summary>
    public static IReadOnlyList<string> All { get; } = [Runs, Tasks, Attempts, Events, RunData, WebhookDeliveries, Executors];
}
