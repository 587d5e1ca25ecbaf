using Microsoft.Net.Http.Headers;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Executors;
using Orchestration.Http.Jobs;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Metrics;
using Orchestration.Http.Workflows.Contracts;
using Orchestration.Storage;

namespace Orchestration.Http.Workflows;

/// <summary>
/// FlowCtl's <c>GET /api/v1/metrics</c> body: the caller's org's workflows and their tasks by status, and its
/// executors. Counted from the store at request time, so every host answers the same.
/// </summary>
internal static class WorkflowMetrics
{
    /// <summary>True when the client names <c>application/json</c> in <c>Accept</c> (with a non-zero quality).</summary>
    public static bool WantsJson(HttpRequest request)
    {
        foreach (var value in request.GetTypedHeaders().Accept)
        {
            if (value.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) && value.Quality is not 0) return true;
        }

        return false;
    }

    public static async Task<IResult> JsonAsync(HttpContext context, IOrchestrationClient client, ExecutorTracker tracker, IExecutorRegistry registry,
        TimeProvider time, TimeSpan heartbeatTimeout, StorageGrowthReader growth)
    {
        var orgId = context.GetCaller().OrgId;
        var ct = context.RequestAborted;

        async Task<int> Runs(RunStatus? status) => (await client.Queries.ListRunsAsync(
            new RunQuery { OrgId = orgId, Family = WorkflowsJson.Family, Status = status, Limit = 0 }, ct)).Total;

        async Task<int> Tasks(params TaskRunStatus[] statuses) => (await client.Queries.ListTasksAsync(new TaskQuery
        {
            OrgId = orgId, Family = WorkflowsJson.Family, Statuses = statuses.Length == 0 ? null : statuses, Limit = 0, MaxPayloadChars = 0,
        }, ct)).Total;

        var workflows = new WorkflowCounts(await Runs(null), await Runs(RunStatus.Running), await Runs(RunStatus.Completed), await Runs(RunStatus.Failed));
        var tasks = new TaskCounts(await Tasks(),
            await Tasks(TaskRunStatus.Pending, TaskRunStatus.Queued, TaskRunStatus.Retrying, TaskRunStatus.AwaitingApproval),
            await Tasks(TaskRunStatus.Running), await Tasks(TaskRunStatus.Completed), await Tasks(TaskRunStatus.Failed));
        var executors = await JobAdminEndpoints.ListAsync(client, tracker, registry, time, orgId, heartbeatTimeout, ct);
        var active = executors.Count(e => e.CurrentJobId is not null);
        var response = new WorkflowMetricsResponse(workflows, tasks, new WorkerCounts(active, executors.Count - active));
        // Whole-store figures (every org's rows), so for system callers only.
        if (context.GetCaller().IsSystem)
            response = response with { Storage = StorageGrowthReader.Json(await growth.ReadAsync(ct), time.GetUtcNow()), Retention = growth.RetentionCounts() };
        return WorkflowsJson.Ok(response);
    }
}
