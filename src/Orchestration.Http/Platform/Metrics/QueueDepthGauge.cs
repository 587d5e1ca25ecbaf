using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Orchestration.Diagnostics;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Http.Platform.Metrics;

/// <summary>
/// Unfinished tasks per org, family and status: the <c>orchestration.queue.depth</c> gauge on the <c>Orchestration</c>
/// meter and <c>orchestration_queue_depth</c> on <c>/api/v1/metrics</c>. Every org is counted in one grouped read of the
/// store (<see cref="IOrchestrationQueries.CountUnfinishedTasksAsync"/>), at most once per <see cref="CacheFor"/>,
/// whatever the number of scrapers and exporters, and only when someone asks: a scrape of <c>/api/v1/metrics</c> waits
/// for a stale count, while the meter's callback (which runs inside whatever collects the meter, and must not wait on a
/// database) answers with the last count and starts a new one in the background. So an OpenTelemetry exporter that
/// collects every 15–60 s sees counts at most one collection old, and a host nobody collects from never counts.
/// </summary>
internal sealed partial class QueueDepthGauge : IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(15);

    /// <summary>Every family a run can belong to: the API families and the in-process runs' own, as the dashboard knows them.</summary>
    internal static readonly string[] Families = [.. Dashboard.FamilyAccess.Known.Select(f => f.Family)];

    /// <summary>The states in which a task is waiting for, or holding, an executor.</summary>
    internal static readonly TaskRunStatus[] Statuses = [TaskRunStatus.Pending, TaskRunStatus.Queued, TaskRunStatus.Retrying, TaskRunStatus.Running];

    private readonly IOrchestrationQueries _queries;
    private readonly TimeProvider _time;
    private readonly ILogger<QueueDepthGauge> _logger;
    private readonly Meter _meter = new(OrchestrationMetrics.MeterName);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _refreshGate = new();
    private Snapshot? _last;
    private Task _refreshing = Task.CompletedTask;

    public QueueDepthGauge(IOrchestrationQueries queries, TimeProvider time, ILogger<QueueDepthGauge> logger)
    {
        _queries = queries;
        _time = time;
        _logger = logger;
        _meter.CreateObservableGauge("orchestration.queue.depth", Observe,
            description: "Unfinished tasks by org, family and status, as last counted (every org in one read, at most every 15 s, when collected)");
    }

    /// <summary>The refresh the meter's callback last started (tests wait for it).</summary>
    internal Task Refreshing
    {
        get
        {
            lock (_refreshGate) return _refreshing;
        }
    }

    /// <summary>The org's depths (every family and status, zeros included), counted anew when the last count is older than <see cref="CacheFor"/>.</summary>
    public async Task<IReadOnlyList<QueueDepth>> ReadAsync(string orgId, CancellationToken cancellationToken)
    {
        var snapshot = Fresh() ?? await CountAsync(cancellationToken);
        return snapshot.Of(orgId);
    }

    public void Dispose()
    {
        _meter.Dispose();
        _gate.Dispose();
    }

    private Snapshot? Fresh() => _last is { } s && _time.GetUtcNow() - s.At < CacheFor ? s : null;

    private async Task<Snapshot> CountAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have counted while this one waited.
            if (Fresh() is { } counted) return counted;
            var counts = await _queries.CountUnfinishedTasksAsync(cancellationToken);
            var byOrg = new Dictionary<string, Dictionary<(string, TaskRunStatus), long>>(StringComparer.Ordinal);
            // Orgs counted before keep their series at zero once drained, rather than vanishing from the gauge.
            if (_last is { } previous) foreach (var org in previous.ByOrg.Keys) byOrg[org] = [];
            foreach (var c in counts)
            {
                if (!byOrg.TryGetValue(c.OrgId, out var of)) byOrg[c.OrgId] = of = [];
                of[(c.Family, c.Status)] = c.Count;
            }

            var snapshot = new Snapshot(_time.GetUtcNow(), byOrg);
            _last = snapshot;
            return snapshot;
        }
        finally
        {
            _gate.Release();
        }
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        if (Fresh() is null) StartRefresh();
        if (_last is not { } snapshot) yield break;
        foreach (var org in snapshot.ByOrg.Keys)
        {
            foreach (var d in snapshot.Of(org))
            {
                yield return new Measurement<long>(d.Count,
                    new KeyValuePair<string, object?>("orchestration.org", org),
                    new KeyValuePair<string, object?>("orchestration.family", d.Family),
                    new KeyValuePair<string, object?>("orchestration.task.status", d.Status));
            }
        }
    }

    private void StartRefresh()
    {
        lock (_refreshGate)
        {
            if (!_refreshing.IsCompleted) return;
            _refreshing = Task.Run(async () =>
            {
                try
                {
                    await CountAsync(CancellationToken.None);
                }
                catch (Exception ex) when (ex is not ObjectDisposedException)
                {
                    // The gauge keeps the last count; the next collection tries again.
                    LogCountFailed(_logger, ex);
                }
                catch (ObjectDisposedException)
                {
                    // The host is stopping.
                }
            });
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Counting the queue depth failed; the gauge keeps its last count")]
    private static partial void LogCountFailed(ILogger logger, Exception exception);

    private sealed record Snapshot(DateTimeOffset At, Dictionary<string, Dictionary<(string Family, TaskRunStatus Status), long>> ByOrg)
    {
        public IReadOnlyList<QueueDepth> Of(string orgId)
        {
            ByOrg.TryGetValue(orgId, out var counts);
            var depths = new List<QueueDepth>(Families.Length * Statuses.Length);
            foreach (var family in Families)
            {
                foreach (var status in Statuses) depths.Add(new QueueDepth(family, status.ToWire(), counts?.GetValueOrDefault((family, status)) ?? 0));
            }

            return depths;
        }
    }
}

/// <summary>Unfinished tasks of one family in one status.</summary>
internal sealed record QueueDepth(string Family, string Status, long Count);
