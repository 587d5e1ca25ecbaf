using System.Globalization;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Workflows.Contracts;
using Orchestration.Storage;

namespace Orchestration.Http.Workflows;

/// <summary>
/// <c>/api/v1/workflows</c>: FlowCtl's workflows, snake_case JSON. A workflow is a managed run of family
/// <see cref="WorkflowsJson.Family"/>: the engine runs its graph, retries, concurrency limit, timeout and cancellation.
/// </summary>
internal static class WorkflowEndpoints
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 100;

    /// <summary>The page size as FlowCtl's pagination section states it: 10 by default, at most 100.</summary>
    public static readonly PagingWire Pages = new(DefaultLimit, MaxLimit, (field, message) => ApiException.Validation(field, message));

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/workflows", CreateAsync).RequirePermission(Permissions.WorkflowsWrite).WithName("WorkflowsCreate")
            .Accepts<CreateWorkflowRequest>("application/json").Produces<WorkflowResponse>(StatusCodes.Status201Created)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/workflows", ListAsync).RequirePermission(Permissions.WorkflowsRead).WithName("WorkflowsList")
            .Produces<WorkflowListResponse>().Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        group.MapGet("/workflows/{id}", GetAsync).RequirePermission(Permissions.WorkflowsRead).WithName("WorkflowsGet")
            .Produces<WorkflowResponse>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapGet("/workflows/{id}/tasks", TasksAsync).RequirePermission(Permissions.WorkflowsRead).WithName("WorkflowsTasks")
            .Produces<WorkflowTaskListResponse>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapPut("/workflows/{id}/cancel", CancelAsync).RequirePermission(Permissions.WorkflowsWrite).WithName("WorkflowsCancel")
            .Produces<WorkflowMessageResponse>().Produces<ErrorBody>(StatusCodes.Status404NotFound).Produces<ErrorBody>(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IOrchestrationClient client)
    {
        var request = await JsonBody.ReadAsync<CreateWorkflowRequest>(context, WorkflowsJson.Options);
        var orgId = context.GetCaller().OrgId;
        var spec = WorkflowRules.ToSpec(orgId, request, context.Limits());
        CreateRunResult created;
        try
        {
            created = await client.CreateRunAsync(spec, context.RequestAborted);
        }
        catch (OrchestrationValidationException e)
        {
            // The engine's graph check (duplicate name, unknown dependency, cycle) says what is wrong; FlowCtl answers 422.
            throw new ApiException(StatusCodes.Status422UnprocessableEntity, e.Message, [new FieldError(e.Field is null ? "tasks" : "tasks." + e.Field, e.Message)]);
        }

        var tasks = await client.Queries.GetRunTasksAsync(orgId, created.Run.Id, context.RequestAborted);
        // A duplicate by unique key answers 200 with the workflow that holds the key.
        return WorkflowsJson.Ok(WorkflowsJson.ToContract(created.Run, tasks), created.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IOrchestrationClient client, string? page, string? limit, string? status)
    {
        var limits = context.Limits();
        if (limits.QueryListProblem(context.Request.Query) is { } tooMany) throw ApiException.Validation(tooMany.Field, tooMany.Message);
        var size = Pages.Limit(limit);
        var number = 1;
        if (!string.IsNullOrEmpty(page) && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number < 1))
            throw ApiException.Validation("page", "must be a positive integer");
        RunStatus? filter = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!StatusNames.TryParseRunStatus(status, out var parsed)) throw ApiException.Validation("status", "must be one of " + string.Join(", ", WorkflowsJson.StatusNames));
            filter = parsed;
        }

        var orgId = context.GetCaller().OrgId;
        var offset = (long)(number - 1) * size;
        if (offset > int.MaxValue) throw ApiException.Validation("page", "is too large");
        var runs = await client.Queries.ListRunsAsync(new RunQuery
        {
            OrgId = orgId,
            Family = WorkflowsJson.Family,
            Status = filter,
            Limit = size,
            Offset = (int)offset,
            MaxPayloadChars = limits.MaxListPayloadBytes,
            PayloadBudgetChars = limits.MaxListResponseBytes,
        }, context.RequestAborted);

        // Every workflow lists all its tasks; the page's payload budget is shared by all of them, and once it is spent
        // the remaining tasks show markers instead of payloads (read in full through GET /api/v1/workflows/{id}).
        var items = new List<WorkflowResponse>(runs.Items.Count);
        long budget = limits.MaxListResponseBytes;
        foreach (var run in runs.Items)
        {
            var maxPayload = budget > 0 ? limits.MaxListPayloadBytes : 0;
            var tasks = await client.Queries.ListTasksAsync(new TaskQuery
            {
                OrgId = orgId,
                RunId = run.Id,
                Family = WorkflowsJson.Family,
                Limit = WorkflowRules.MaxTasks,
                MaxPayloadChars = maxPayload,
            }, context.RequestAborted);
            foreach (var t in tasks.Items) budget -= StoredJson.ListCost(limits.MaxListPayloadBytes, t.InputJson, t.OutputJson, t.ErrorJson);
            items.Add(WorkflowsJson.ToContract(run, tasks.Items, maxPayload));
        }

        var totalPages = runs.Total == 0 ? 0 : (int)((runs.Total + (long)size - 1) / size);
        return WorkflowsJson.Ok(new WorkflowListResponse(items, runs.Total, number, size, totalPages));
    }

    private static async Task<IResult> GetAsync(HttpContext context, IOrchestrationClient client, string id)
    {
        var orgId = context.GetCaller().OrgId;
        var run = await FindAsync(client, orgId, id, context.RequestAborted);
        var tasks = await client.Queries.GetRunTasksAsync(orgId, run.Id, context.RequestAborted);
        return WorkflowsJson.Ok(WorkflowsJson.ToContract(run, tasks));
    }

    private static async Task<IResult> TasksAsync(HttpContext context, IOrchestrationClient client, string id)
    {
        var orgId = context.GetCaller().OrgId;
        var run = await FindAsync(client, orgId, id, context.RequestAborted);
        var tasks = await client.Queries.GetRunTasksAsync(orgId, run.Id, context.RequestAborted);
        return WorkflowsJson.Ok(new WorkflowTaskListResponse(tasks.Select(t => WorkflowsJson.ToContract(t)).ToList()));
    }

    /// <summary>
    /// Cancels a pending or running workflow: its unfinished tasks become cancelled in the same write and running
    /// handlers see their token fire. A finished workflow stays as it is (409).
    /// </summary>
    private static async Task<IResult> CancelAsync(HttpContext context, IOrchestrationClient client, string id)
    {
        var orgId = context.GetCaller().OrgId;
        var run = await FindAsync(client, orgId, id, context.RequestAborted);
        return await client.CancelRunAsync(orgId, run.Id, context.RequestAborted) switch
        {
            RunCommandStatus.Applied => WorkflowsJson.Ok(new WorkflowMessageResponse("Workflow cancelled")),
            RunCommandStatus.NotFound => throw ApiException.NotFound("Workflow"),
            // Finished before or between the read and the cancel: terminal is final.
            _ => throw ApiException.Conflict("Workflow is already finished"),
        };
    }

    private static async Task<Run> FindAsync(IOrchestrationClient client, string orgId, string id, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var runId)) throw ApiException.NotFound("Workflow");
        return await FamilyScope.FindRunAsync(client, orgId, FamilyScope.Workflows, runId, cancellationToken) ?? throw ApiException.NotFound("Workflow");
    }
}
