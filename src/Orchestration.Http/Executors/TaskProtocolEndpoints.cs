using System.Text.Json;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Execution;
using Orchestration.Http.Executors.Contracts;
using Orchestration.Http.Jobs;
using Orchestration.Http.Jobs.Contracts;
using Orchestration.Http.Platform.RateLimiting;
using Orchestration.Storage;

namespace Orchestration.Http.Executors;

/// <summary>
/// The generic executor protocol: remote workers in any language claim tasks of the types they serve, and every later
/// call presents the lease token of the claim, so a worker that lost its lease (reaped, cancelled, re-claimed) can
/// never write. A task of another org answers 404; a lost lease answers 409.
/// </summary>
internal static class TaskProtocolEndpoints
{
    public const int MaxClaim = 100;
    public const int MaxLeaseSeconds = 3600;

    private static readonly ExecutorReport Report = new(ExecutorProtocol.TaskProtocol);

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/tasks/claim", ClaimAsync).RequirePermission(Permissions.JobsExecute).IsExecutorCall().WithName("TasksClaim")
            .Accepts<ClaimTasksRequest>("application/json").Produces<ClaimTasksResponse>().Produces(StatusCodes.Status204NoContent)
            .Produces<JobsErrorBody>(StatusCodes.Status400BadRequest);
        group.MapPut("/tasks/{id:guid}/heartbeat", HeartbeatAsync).RequirePermission(Permissions.JobsExecute).IsExecutorCall().WithName("TasksHeartbeat")
            .Accepts<TaskHeartbeatRequest>("application/json").Produces<TaskHeartbeatResponse>()
            .Produces<JobsErrorBody>(StatusCodes.Status404NotFound).Produces<JobsErrorBody>(StatusCodes.Status409Conflict);
        group.MapPut("/tasks/{id:guid}/complete", CompleteAsync).RequirePermission(Permissions.JobsExecute).IsExecutorCall().WithName("TasksComplete")
            .Accepts<TaskCompleteRequest>("application/json").Produces<TaskWriteResponse>()
            .Produces<JobsErrorBody>(StatusCodes.Status404NotFound).Produces<JobsErrorBody>(StatusCodes.Status409Conflict);
        TaskArtifactEndpoint.Map(group);
        group.MapPut("/tasks/{id:guid}/fail", FailAsync).RequirePermission(Permissions.JobsExecute).IsExecutorCall().WithName("TasksFail")
            .Accepts<TaskFailRequest>("application/json").Produces<TaskWriteResponse>()
            .Produces<JobsErrorBody>(StatusCodes.Status404NotFound).Produces<JobsErrorBody>(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> ClaimAsync(HttpContext context, IExecutorFront front, IOrchestrationClient client)
    {
        var request = await JsonBody.ReadAsync<ClaimTasksRequest>(context, JobsJson.Options);
        var executorId = ExecutorCalls.ExecutorId(request.ExecutorId);
        var executorIp = ExecutorCalls.ExecutorIp(request.ExecutorIp, context);
        var types = ExecutorCalls.Types(request.Types);
        var max = request.Max ?? 1;
        if (max is < 1 or > MaxClaim) throw JobsException.Field("max", $"must be between 1 and {MaxClaim}");
        var claimed = await ExecutorCalls.ClaimAsync(context, front, new ClaimTasksParams
        {
            ExecutorId = executorId,
            ExecutorIp = executorIp,
            Types = types,
            Max = max,
            LeaseDuration = Lease(request.LeaseSeconds, context),
        }, ExecutorProtocol.TaskProtocol);
        if (claimed.Count == 0) return Results.NoContent();
        var traces = await ClaimTraceContext.ReadAsync(client, claimed, context.RequestAborted);
        return JobsJson.Ok(new ClaimTasksResponse(claimed.Select(c => new ClaimedTask(
            c.Task.Id, c.Task.RunId, c.Task.Type, c.Task.Name, Element(c.Task.InputJson), c.Task.Attempt, c.Lease.LeaseToken, c.Task.LeaseExpiresAt?.UtcDateTime)
        {
            TraceParent = traces.GetValueOrDefault(c.Task.RunId)?.TraceParent,
            TraceState = traces.GetValueOrDefault(c.Task.RunId)?.TraceState,
        }).ToList()));
    }

    private static async Task<IResult> HeartbeatAsync(HttpContext context, Guid id, IOrchestrationClient client, IExecutorFront front,
        ExecutorTracker tracker)
    {
        var request = await JsonBody.ReadAsync<TaskHeartbeatRequest>(context, JobsJson.Options);
        var task = await HeldTaskAsync(context, client, id);
        var token = request.LeaseToken ?? throw JobsException.Field("lease_token", "is required");
        var result = (await front.HeartbeatAsync([new TaskLease(id, token)], Lease(request.LeaseSeconds, context), context.RequestAborted))[0];
        if (task.ExecutorId is { } executor) tracker.Touch(task.OrgId, executor);
        return result.Outcome switch
        {
            HeartbeatOutcome.Extended => JobsJson.Ok(new TaskHeartbeatResponse(false, result.LeaseExpiresAt?.UtcDateTime)),
            HeartbeatOutcome.Cancelled => JobsJson.Ok(new TaskHeartbeatResponse(true, null)),
            _ => throw LeaseLost(id),
        };
    }

    private static async Task<IResult> CompleteAsync(HttpContext context, Guid id, IOrchestrationClient client, IExecutorFront front, ExecutorTracker tracker)
    {
        var request = await JsonBody.ReadAsync<TaskCompleteRequest>(context, JobsJson.Options);
        var task = await HeldTaskAsync(context, client, id);
        var token = request.LeaseToken ?? throw JobsException.Field("lease_token", "is required");
        var result = (await front.CompleteAsync([new TaskCompletion(new TaskLease(id, token), Text(request.Output))], Report, context.RequestAborted))[0];
        if (!result.Applied) throw LeaseLost(id);
        if (task.ExecutorId is { } executor) tracker.Completed(task.OrgId, executor);
        return JobsJson.Ok(new TaskWriteResponse(id, result.Status?.ToWire() ?? "completed"));
    }

    private static async Task<IResult> FailAsync(HttpContext context, Guid id, IOrchestrationClient client, IExecutorFront front, ExecutorTracker tracker)
    {
        var request = await JsonBody.ReadAsync<TaskFailRequest>(context, JobsJson.Options);
        var task = await HeldTaskAsync(context, client, id);
        var token = request.LeaseToken ?? throw JobsException.Field("lease_token", "is required");
        var failure = new TaskFailure(new TaskLease(id, token), JsonDefaults.ErrorJson(request.Error ?? "task failed"), request.Retryable ?? true, Text(request.Output));
        var result = (await front.FailAsync([failure], Report, context.RequestAborted))[0];
        if (!result.Applied) throw LeaseLost(id);
        if (task.ExecutorId is { } executor) tracker.Touch(task.OrgId, executor);
        return JobsJson.Ok(new TaskWriteResponse(id, result.Status?.ToWire() ?? "failed"));
    }

    /// <summary>The task, counted against the per-executor limit of the executor holding it (the body carries only the token).</summary>
    private static async Task<TaskRun> HeldTaskAsync(HttpContext context, IOrchestrationClient client, Guid id)
    {
        var orgId = context.GetCaller().OrgId;
        var task = await client.Queries.GetTaskAsync(orgId, id, context.RequestAborted);
        // Calls for unknown or unheld tasks share one bucket per org, so probing ids is limited too.
        ExecutorCalls.Admit(context, orgId, task?.ExecutorId ?? "");
        return task ?? throw new JobsException(StatusCodes.Status404NotFound, "Task not found", new Dictionary<string, string> { ["task_id"] = id.ToString() });
    }

    private static JobsException LeaseLost(Guid id) =>
        new(StatusCodes.Status409Conflict, "Lease lost: the task is no longer running under this lease token", new Dictionary<string, string> { ["task_id"] = id.ToString() });

    private static TimeSpan Lease(int? seconds, HttpContext context)
    {
        if (seconds is null) return ExecutorCalls.DefaultLease(context);
        if (seconds is < 1 or > MaxLeaseSeconds) throw JobsException.Field("lease_seconds", $"must be between 1 and {MaxLeaseSeconds}");
        return TimeSpan.FromSeconds(seconds.Value);
    }

    private static JsonElement? Element(string? json)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static string? Text(JsonElement? element) =>
        element is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } e ? e.GetRawText() : null;
}
