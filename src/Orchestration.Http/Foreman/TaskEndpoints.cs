using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Foreman.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Storage;

namespace Orchestration.Http.Foreman;

/// <summary>
/// <c>/api/v1/tasks</c>. Tasks created here stay pending until a client moves them with PATCH (the Foreman API reference's workflow) or
/// an executor claims them after a client queues them. <c>GET /api/v1/tasks/{id}</c> is shared with the workflows API
/// (<see cref="Platform.SharedTaskEndpoint"/>).
/// </summary>
internal static class TaskEndpoints
{
    private const int DefaultMaxRetries = 3;
    private const int MaxMaxRetries = 10;

    public static void Map(RouteGroupBuilder tasks)
    {
        tasks.MapPost("/tasks", CreateAsync).RequirePermission(Permissions.TasksCreate).WithName("ForemanCreateTask")
            .Accepts<CreateTaskRequest>("application/json").Produces<TaskResponse>(StatusCodes.Status201Created)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        tasks.MapPatch("/tasks/{id:guid}", UpdateAsync).RequirePermission(Permissions.TasksUpdate).WithName("ForemanUpdateTask")
            .Accepts<UpdateTaskRequest>("application/json").Produces<TaskResponse>()
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        tasks.MapGet("/tasks", ListAsync).RequirePermission(Permissions.TasksRead).WithName("ForemanListTasks")
            .Produces<ListResponse<TaskResponse>>().Produces<ErrorBody>(StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IOrchestrationClient client)
    {
        var request = await JsonBody.ReadAsync<CreateTaskRequest>(context, ForemanJson.Options);
        var errors = new List<FieldError>();
        if (request.RunId is null) errors.Add(new FieldError("runId", "is required"));
        if (string.IsNullOrWhiteSpace(request.Type)) errors.Add(new FieldError("type", "is required"));
        if (request.MaxRetries is < 0 or > MaxMaxRetries) errors.Add(new FieldError("maxRetries", $"must be between 0 and {MaxMaxRetries}"));
        if (context.Limits().IdentifierProblem(request.Type) is { } typeProblem) errors.Add(new FieldError("type", typeProblem));
        if (request.ConcurrencyKey is not null && context.Limits().IdentifierProblem(request.ConcurrencyKey) is { } keyProblem) errors.Add(new FieldError("concurrencyKey", keyProblem));
        if (ConcurrencyLimitWire.Problem(request.ConcurrencyLimit, request.ConcurrencyKey, "concurrencyKey") is { } limitProblem) errors.Add(new FieldError("concurrencyLimit", limitProblem));
        if (errors.Count > 0) throw ApiException.Validation(errors);

        var result = await client.AddTaskAsync(context.GetCaller().OrgId, ForemanJson.Family, request.RunId!.Value, new TaskSpec
        {
            Type = request.Type!,
            InputJson = ForemanJson.Text(request.InputData),
            MetadataJson = ForemanJson.Text(request.Metadata),
            ParentTaskId = request.ParentTaskId,
            MaxRetries = request.MaxRetries ?? DefaultMaxRetries,
            Enqueue = false,
            ConcurrencyKey = request.ConcurrencyKey,
            ConcurrencyLimit = request.ConcurrencyLimit,
        }, context.RequestAborted);
        return result.Status switch
        {
            AddTaskStatus.Added => ForemanJson.Ok(ForemanJson.ToContract(result.Task!), StatusCodes.Status201Created),
            AddTaskStatus.RunNotFound => throw ApiException.NotFound("Run"),
            AddTaskStatus.ParentNotFound => throw ApiException.Validation("parentTaskId", "is not a task of this run"),
            AddTaskStatus.RunFinished => throw ApiException.Conflict("The run is finished and takes no more tasks"),
            _ => throw ApiException.Conflict("The task could not be added: " + result.Status),
        };
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, IOrchestrationClient client, Guid id)
    {
        var request = await JsonBody.ReadAsync<UpdateTaskRequest>(context, ForemanJson.Options);
        if (context.Limits().IdentifierProblem(request.QueueJobId) is { } queueJobIdProblem) throw ApiException.Validation("queueJobId", queueJobIdProblem);
        TaskRunStatus? status = null;
        if (request.Status is not null)
        {
            if (!StatusNames.TryParseTaskStatus(request.Status, out var parsed))
                throw ApiException.Validation("status", "must be one of pending, queued, running, completed, failed, cancelled, retrying");
            status = parsed;
        }

        var orgId = context.GetCaller().OrgId;
        var outcome = await client.UpdateTaskAsync(new UpdateTaskParams
        {
            OrgId = orgId,
            Family = ForemanJson.Family,
            TaskId = id,
            Status = status,
            OutputJson = ForemanJson.Text(request.OutputData),
            ErrorJson = ForemanJson.Text(request.ErrorData),
            MetadataJson = ForemanJson.Text(request.Metadata),
            QueueJobId = request.QueueJobId,
        }, context.RequestAborted);
        switch (outcome)
        {
            case RunCommandStatus.NotFound: throw ApiException.NotFound("Task");
            case RunCommandStatus.InvalidState:
                throw ApiException.Conflict("The task has finished (completed, failed, cancelled or skipped); its status can no longer change");
        }

        var task = await client.Queries.GetTaskAsync(orgId, id, context.RequestAborted) ?? throw ApiException.NotFound("Task");
        return ForemanJson.Ok(ForemanJson.ToContract(task));
    }

    private static async Task<IResult> ListAsync(HttpContext context, IOrchestrationClient client,
        string? runId, string? status, string? limit, string? offset, string? sortBy, string? sortOrder)
    {
        QueryParsing.RejectUnknown(context, "runId", "status", "limit", "offset", "sortBy", "sortOrder");
        if (context.Limits().QueryListProblem(context.Request.Query) is { } tooMany) throw ApiException.Validation(tooMany.Field, tooMany.Message);
        var sort = sortBy switch
        {
            null or "" or "created_at" or "createdAt" => TaskSortField.CreatedAt,
            "started_at" or "startedAt" => TaskSortField.StartedAt,
            "completed_at" or "completedAt" => TaskSortField.CompletedAt,
            _ => throw ApiException.Validation("sortBy", "must be created_at, started_at or completed_at"),
        };
        Guid? run = null;
        if (!string.IsNullOrEmpty(runId))
        {
            if (!Guid.TryParse(runId, out var parsed)) throw ApiException.Validation("runId", "must be a UUID");
            run = parsed;
        }

        TaskRunStatus? filter = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!StatusNames.TryParseTaskStatus(status, out var parsed)) throw ApiException.Validation("status", "unknown task status");
            filter = parsed;
        }

        var limits = context.Limits();
        var query = new TaskQuery
        {
            OrgId = context.GetCaller().OrgId,
            RunId = run,
            // With or without a run filter: another family's run lists as empty, as another org's does.
            Family = ForemanJson.Family,
            Status = filter,
            Limit = QueryParsing.ListPages.Limit(limit),
            Offset = QueryParsing.ListPages.Offset(offset),
            MaxPayloadChars = limits.MaxListPayloadBytes,
            PayloadBudgetChars = limits.MaxListResponseBytes,
            SortBy = sort,
            // Oldest first unless asked: the order this list always had (Foreman's server defaults to newest first).
            Descending = !string.IsNullOrEmpty(sortOrder) && QueryParsing.Descending(sortOrder),
        };
        var page = await client.Queries.ListTasksAsync(query, context.RequestAborted);
        return ForemanLists.Page(page, limits,
            t => StoredJson.ListCost(limits.MaxListPayloadBytes, t.InputJson, t.OutputJson, t.ErrorJson, t.MetadataJson),
            t => ForemanJson.ToContract(t, limits.MaxListPayloadBytes), query.Limit, query.Offset);
    }
}
