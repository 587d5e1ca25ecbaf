using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Metrics;
using Orchestration.Http.Executors;
using Orchestration.Storage;
using Orchestration.Http.Workflows;
using Orchestration.Http.Workflows.Contracts;

namespace Orchestration.Http.Jobs;

/// <summary>
/// <c>GET /api/v1/metrics</c>: Prometheus text, for <c>ops:read</c>. The job queue depth and executor gauges are read
/// from the store at scrape time for the caller's org; the task queue depth per family and status is cached
/// (<see cref="QueueDepthGauge"/>). Counters and the duration histogram are process-wide (every org's
/// work), so only system callers get them; an org operator sees its own org and nothing else. With
/// <c>Accept: application/json</c> it answers FlowCtl's JSON metrics instead (<see cref="WorkflowMetrics"/>).
/// </summary>
internal static class MetricsEndpoint
{
    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, object> Mounted = new();

    /// <summary>Mounts the endpoint unless the job queue API or the workflows API already mounted it on this builder.</summary>
    public static void MapOnce(IEndpointRouteBuilder endpoints, RouteGroupBuilder group)
    {
        if (!Mounted.TryAdd(endpoints, new object())) return;
        group.MapGet("/metrics", ScrapeAsync).RequirePermission(Permissions.OpsRead).WithName("Metrics").WithTags("Metrics")
            .Produces<string>(StatusCodes.Status200OK, "text/plain").Produces<WorkflowMetricsResponse>(StatusCodes.Status200OK, "application/json");
    }

    internal static async Task<IResult> ScrapeAsync(HttpContext context, PrometheusExporter exporter, IOrchestrationClient client, ExecutorTracker tracker,
        IExecutorRegistry registry, TimeProvider time, IOptions<OrchestrationHttpOptions> options, StorageGrowthReader growth, QueueDepthGauge queueDepth)
    {
        // Prometheus text stays the default; FlowCtl's clients ask for its JSON by name.
        if (WorkflowMetrics.WantsJson(context.Request))
            return await WorkflowMetrics.JsonAsync(context, client, tracker, registry, time, options.Value.Executors.HeartbeatTimeout, growth);
        var caller = context.GetCaller();
        var orgId = caller.OrgId;
        var depth = new List<(string, double)>();
        foreach (var (name, value) in JobsJson.Priorities)
        {
            var page = await client.Queries.ListTasksAsync(new TaskQuery
            {
                OrgId = orgId, Family = JobsJson.Family, Type = JobsJson.TaskType, Statuses = JobsJson.TaskStatusesOf("pending"), Priority = value, Limit = 0,
            }, context.RequestAborted);
            depth.Add(($"{{priority=\"{name}\"}}", page.Total));
        }

        var active = await JobAdminEndpoints.ListAsync(client, tracker, registry, time, orgId, options.Value.Executors.HeartbeatTimeout, context.RequestAborted);

        var gauges = new List<(string, string, IReadOnlyList<(string, double)>)>
        {
            ("orchestration_jobs_queue_depth", "Pending binary jobs by priority", depth),
            ("orchestration_active_executors", "Executors holding work or seen within the heartbeat timeout", [("", active.Count)]),
            ("orchestration_queue_depth", "Unfinished tasks by family and status (counted at most every 15 s)",
                (await queueDepth.ReadAsync(orgId, context.RequestAborted)).Select(d => ($"{{family=\"{d.Family}\",status=\"{d.Status}\"}}", (double)d.Count)).ToList()),
        };
        // Whole-store figures (every org's rows), so for system callers only, like the process-wide counters.
        if (caller.IsSystem && await growth.ReadAsync(context.RequestAborted) is { } tables)
        {
            var now = time.GetUtcNow();
            gauges.Add(("orchestration_storage_rows", "Rows per table of the store (estimated for very large tables)",
                tables.Select(t => ($"{{table=\"{t.Table}\"}}", (double)t.Rows)).ToList()));
            var ages = tables.Where(t => t.OldestAt is not null).Select(t => ($"{{table=\"{t.Table}\"}}", StorageGrowthReader.Age(t, now)!.Value)).ToList();
            if (ages.Count > 0) gauges.Add(("orchestration_storage_oldest_row_age_seconds", "Age of the oldest row per table of the store", ages));
        }

        var text = exporter.Render(caller.IsSystem, gauges);
        return Results.Text(text, "text/plain; version=0.0.4; charset=utf-8");
    }
}
