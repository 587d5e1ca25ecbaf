using System.Text.Json.Serialization;
using Orchestration.Storage;

namespace Orchestration.Http.Platform.Metrics;

/// <summary>
/// The store's storage growth (rows per table, oldest row) for <c>/api/v1/metrics</c> and <c>/api/v1/admin/stats</c>,
/// read at most once per <see cref="CacheFor"/> so scrapes from several monitors cost the database one read; and the
/// retention counters as JSON. Both are whole-store figures (every org), so only system callers get them.
/// </summary>
internal sealed class StorageGrowthReader(TimeProvider time, PrometheusExporter exporter, IRetentionStore? store = null) : IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (DateTimeOffset At, IReadOnlyList<TableGrowth> Tables)? _cached;

    /// <summary>Null when the store does not report its growth.</summary>
    public async Task<IReadOnlyList<TableGrowth>?> ReadAsync(CancellationToken cancellationToken)
    {
        if (store is null) return null;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            if (_cached is { } c && now - c.At < CacheFor) return c.Tables;
            var tables = await store.GetStorageGrowthAsync(cancellationToken);
            _cached = (now, tables);
            return tables;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The growth figures on the wire, with each oldest row's age at <paramref name="now"/>.</summary>
    public static IReadOnlyList<StorageTableJson>? Json(IReadOnlyList<TableGrowth>? tables, DateTimeOffset now) =>
        tables?.Select(t => new StorageTableJson(t.Table, t.Rows, t.Estimated, t.OldestAt?.UtcDateTime, Age(t, now))).ToList();

    /// <summary>The oldest row's age in seconds, never negative; null for an empty table.</summary>
    public static double? Age(TableGrowth table, DateTimeOffset now) => table.OldestAt is { } at ? Math.Max(0, (now - at).TotalSeconds) : null;

    /// <summary>What retention deleted since this process started (counted on the leader that deleted it).</summary>
    public RetentionJson RetentionCounts()
    {
        var runs = exporter.Counter("orchestration.retention.runs.deleted")
            .Where(s => s.Tags.Count > 0)
            .Select(s => new RetentionRuleJson(Tag(s.Tags, "rule"), Tag(s.Tags, "state"), s.Value))
            .ToList();
        var deliveries = exporter.Counter("orchestration.retention.webhook_deliveries.deleted").Sum(s => s.Value);
        return new RetentionJson(runs, deliveries);
    }

    public void Dispose() => _gate.Dispose();

    private static string Tag(IReadOnlyList<KeyValuePair<string, string>> tags, string key) => tags.FirstOrDefault(t => t.Key == key).Value ?? "";
}

/// <summary>One table's growth on the wire.</summary>
internal sealed record StorageTableJson(
    [property: JsonPropertyName("table")] string Table,
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("estimated")] bool Estimated,
    [property: JsonPropertyName("oldest_at")] DateTime? OldestAt,
    [property: JsonPropertyName("oldest_age_seconds")] double? OldestAgeSeconds);

/// <summary>Retention counts on the wire.</summary>
internal sealed record RetentionJson(
    [property: JsonPropertyName("runs_deleted")] IReadOnlyList<RetentionRuleJson> RunsDeleted,
    [property: JsonPropertyName("webhook_deliveries_deleted")] long WebhookDeliveriesDeleted);

/// <summary>Runs one retention rule deleted in one state.</summary>
internal sealed record RetentionRuleJson(
    [property: JsonPropertyName("rule")] string Rule,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("count")] long Count);
