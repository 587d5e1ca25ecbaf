using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Metrics;
using Orchestration.Http.Executors;
using Orchestration.Http.Jobs.Contracts;
using Orchestration.Storage;

namespace Orchestration.Http.Jobs;

/// <summary>The job queue API reference's admin views, scoped to the caller's org.</summary>
internal static class JobAdminEndpoints
{
    private const int MaxRunningScanned = 10_000;

    public static async Task<IResult> StatsAsync(HttpContext context, IOrchestrationClient client, ExecutorTracker tracker, IExecutorRegistry registry,
        TimeProvider time, IOptions<OrchestrationHttpOptions> options, StorageGrowthReader growth)
    {
        var orgId = context.GetCaller().OrgId;
        var byStatus = new Dictionary<string, int>();
        foreach (var status in JobsJson.StatusNames) byStatus[status] = await CountAsync(client, orgId, JobsJson.TaskStatusesOf(status), null, context.RequestAborted);

        var byPriority = new Dictionary<string, int>();
        foreach (var (name, value) in JobsJson.Priorities)
            byPriority[name] = await CountAsync(client, orgId, JobsJson.TaskStatusesOf("pending"), value, context.RequestAborted);

        var executors = await ListAsync(client, tracker, registry, time, orgId, options.Value.Executors.HeartbeatTimeout, context.RequestAborted);
        var stats = new JobStatsResponse(byStatus, byPriority, executors.Count);
        // Whole-store figures (every org's rows), so for system callers only.
        if (context.GetCaller().IsSystem)
            stats = stats with { Storage = StorageGrowthReader.Json(await growth.ReadAsync(context.RequestAborted), time.GetUtcNow()), Retention = growth.RetentionCounts() };
        return JobsJson.Ok(stats);
    }

    public static async Task<IResult> ExecutorsAsync(HttpContext context, IOrchestrationClient client, ExecutorTracker tracker, IExecutorRegistry registry,
        TimeProvider time, IOptions<OrchestrationHttpOptions> options) =>
        JobsJson.Ok(await ListAsync(client, tracker, registry, time, context.GetCaller().OrgId, options.Value.Executors.HeartbeatTimeout, context.RequestAborted));

    /// <summary>
    /// Active = holding a running task of the org, or seen within the heartbeat timeout. What an executor holds comes
    /// from the running tasks (the truth after reaping); last call and counters from the store's executor registry,
    /// shared by every host (this host's buffered calls are flushed first).
    /// </summary>
    public static async Task<IReadOnlyList<ExecutorRow>> ListAsync(IOrchestrationClient client, ExecutorTracker tracker, IExecutorRegistry registry, TimeProvider time,
        string orgId, TimeSpan window, CancellationToken cancellationToken)
    {
        await tracker.FlushAsync(cancellationToken);
        var running = await client.Queries.ListTasksAsync(new TaskQuery
        {
            OrgId = orgId,
            Status = TaskRunStatus.Running,
            Limit = MaxRunningScanned,
            // Only executor ids and types are read; payloads would cost whatever the running tasks hold.
            MaxPayloadChars = 0,
        }, cancellationToken);
        var holding = running.Items.Where(t => t.ExecutorId is not null).GroupBy(t => t.ExecutorId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var records = (await registry.ListExecutorsAsync(orgId, cancellationToken)).ToDictionary(r => r.ExecutorId, StringComparer.Ordinal);

        var since = time.GetUtcNow() - window;
        var ids = new SortedSet<string>(holding.Keys, StringComparer.Ordinal);
        foreach (var r in records.Values)
        {
            if (r.LastSeen >= since) ids.Add(r.ExecutorId);
        }

        return ids.Select(id =>
        {
            holding.TryGetValue(id, out var task);
            records.TryGetValue(id, out var record);
            var current = task is null ? (Guid?)null : task.RunId;
            var jobType = task is null ? null : task.Type == JobsJson.TaskType ? task.Name : task.Type;
            return new ExecutorRow(id, current, jobType, record?.LastSeen.UtcDateTime, record?.JobsCompleted ?? 0, record?.Types, record?.Capacity);
        }).ToList();
    }

    private static async Task<int> CountAsync(IOrchestrationClient client, string orgId, IReadOnlyCollection<TaskRunStatus> statuses, int? priority, CancellationToken cancellationToken)
    {
        var page = await client.Queries.ListTasksAsync(new TaskQuery
        {
            OrgId = orgId,
            Family = JobsJson.Family,
            Type = JobsJson.TaskType,
            Statuses = statuses,
            Priority = priority,
            Limit = 0,
        }, cancellationToken);
        return page.Total;
    }
}
