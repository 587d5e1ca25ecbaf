using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Orchestration.Diagnostics;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Http.Platform.Metrics;

/// <summary>
/// Unfinished tasks per org, family and status: the <c>orchestration.queue.depth</c> gauge on the <c>Orchestration</c>
/// meter and <c>orchestration_queue_depth</c> on <c>/api/v1/metrics</c>. Counted with the store's task count at most
/// once per <see cref="CacheFor"/> per org, whatever the number of scrapers; the meter's callback only reads what the
/// last count left (it runs inside whatever collects the meter and must not wait on a database).
/// </summary>
internal sealed class QueueDepthGauge : IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(15);

    /// <summary>Every family a run can belong to: the API families and the in-process runs' own, as the dashboard knows them.</summary>
    internal static readonly string[] Families = [.. Dashboard.FamilyAccess.Known.Select(f => f.Family)];

    /// <summary>The states in which a task is waiting for, or holding, an executor.</summary>
    internal static readonly TaskRunStatus[] Statuses = [TaskRunStatus.Pending, TaskRunStatus.Queued, TaskRunStatus.Retrying, TaskRunStatus.Running];

    private readonly IOrchestrationClient _client;
    private readonly TimeProvider _time;
    private readonly Meter _meter = new(OrchestrationMetrics.MeterName);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, IReadOnlyList<QueueDepth> Depths)> _byOrg = new(StringComparer.Ordinal);

    public QueueDepthGauge(IOrchestrationClient client, TimeProvider time)
    {
        _client = client;
        _time = time;
        _meter.CreateObservableGauge("orchestration.queue.depth", Observe,
            description: "Unfinished tasks by org, family and status, as last counted (at most every 15 s per org, when /api/v1/metrics is scraped)");
    }

    /// <summary>The org's depths, counted anew only when the cached ones are older than <see cref="CacheFor"/>.</summary>
    public async Task<IReadOnlyList<QueueDepth>> ReadAsync(string orgId, CancellationToken cancellationToken)
    {
        if (Fresh(orgId) is { } cached) return cached;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Another scrape may have counted while this one waited.
            if (Fresh(orgId) is { } counted) return counted;
            var depths = new List<QueueDepth>(Families.Length * Statuses.Length);
            foreach (var family in Families)
            {
                foreach (var status in Statuses)
                {
                    var page = await _client.Queries.ListTasksAsync(new TaskQuery { OrgId = orgId, Family = family, Status = status, Limit = 0 }, cancellationToken);
                    depths.Add(new QueueDepth(family, status.ToWire(), page.Total));
                }
            }

            _byOrg[orgId] = (_time.GetUtcNow(), depths);
            return depths;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _meter.Dispose();
        _gate.Dispose();
    }

    private IReadOnlyList<QueueDepth>? Fresh(string orgId) =>
        _byOrg.TryGetValue(orgId, out var c) && _time.GetUtcNow() - c.At < CacheFor ? c.Depths : null;

    private IEnumerable<Measurement<long>> Observe()
    {
        foreach (var (org, (_, depths)) in _byOrg)
        {
            foreach (var d in depths)
            {
                yield return new Measurement<long>(d.Count,
                    new KeyValuePair<string, object?>("orchestration.org", org),
                    new KeyValuePair<string, object?>("orchestration.family", d.Family),
                    new KeyValuePair<string, object?>("orchestration.task.status", d.Status));
            }
        }
    }
}

/// <summary>Unfinished tasks of one family in one status.</summary>
internal sealed record QueueDepth(string Family, string Status, long Count);
