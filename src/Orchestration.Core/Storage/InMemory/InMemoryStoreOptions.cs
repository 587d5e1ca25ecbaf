namespace Orchestration.Storage.InMemory;

/// <summary>Settings of the <see cref="InMemoryStore"/>.</summary>
public sealed class InMemoryStoreOptions
{
    /// <summary>The default of <see cref="MaxFinishedRuns"/>.</summary>
    public const int DefaultMaxFinishedRuns = 100_000;

    /// <summary>
    /// How many finished runs (completed, failed or cancelled) the store keeps, with their tasks, attempts and run
    /// data. When one more run finishes, the run that finished longest ago is forgotten: reads no longer find it, its
    /// idempotency key can be used again, and a lease still held on one of its tasks reports Lost rather than
    /// Cancelled. Unfinished runs are never evicted. Default 100,000, the same bound as the retained events; at
    /// about 1.5–2 KB for a finished single-task run with small payloads, that is 150–200 MB at most.
    /// </summary>
    public int MaxFinishedRuns { get; set; } = DefaultMaxFinishedRuns;

    internal string? Validate() =>
        MaxFinishedRuns < 1 ? $"InMemoryStoreOptions.MaxFinishedRuns must be at least 1 (was {MaxFinishedRuns})." : null;
}
