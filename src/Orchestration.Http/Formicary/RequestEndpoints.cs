using System.Globalization;
using System.Text.Json;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Http.Formicary.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Formicary;

/// <summary>
/// <c>/api/jobs/requests</c>: Formicary job requests. A request is a managed run of family
/// <see cref="FormicaryJson.Family"/> built from one definition version by <see cref="FormicaryTranslation"/>.
/// </summary>
internal static class RequestEndpoints
{
    public const int MaxParams = 100;
    public const int MaxPriority = 1000;

    /// <summary>At most this many job types match a <c>platform</c> filter; more is a 400 asking for <c>job_type</c>.</summary>
    public const int MaxPlatformJobTypes = 100;

    /// <summary>How far ahead <c>scheduled_at</c> may be; a later time is a 400 rather than a request that waits for years.</summary>
    public static readonly TimeSpan MaxScheduleAhead = TimeSpan.FromDays(366);

    /// <summary>Review comments are kept on the task; at most this many characters.</summary>
    public const int MaxReviewComments = 4096;

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/jobs/requests", SubmitAsync).RequirePermission(Permissions.JobRequestSubmit).WithName("FormicaryRequestsSubmit")
            .Accepts<SubmitJobRequest>("application/json").Produces<JobRequestResponse>(StatusCodes.Status201Created)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound)
            .Produces<ErrorBody>(StatusCodes.Status409Conflict).Produces<ErrorBody>(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/jobs/requests", ListAsync).RequirePermission(Permissions.JobRequestQuery).WithName("FormicaryRequestsList")
            .Produces<PaginatedResult<JobRequestResponse>>().Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        group.MapGet("/jobs/requests/{id}", GetAsync).RequirePermission(Permissions.JobRequestView).WithName("FormicaryRequestsGet")
            .Produces<JobRequestResponse>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapPost("/jobs/requests/{id}/cancel", CancelAsync).RequirePermission(Permissions.JobRequestCancel).WithName("FormicaryRequestsCancel")
            .Produces(StatusCodes.Status200OK).Produces<ErrorBody>(StatusCodes.Status404NotFound).Produces<ErrorBody>(StatusCodes.Status409Conflict);
        group.MapPost("/jobs/requests/{id}/restart", RestartAsync).RequirePermission(Permissions.JobRequestRestart).WithName("FormicaryRequestsRestart")
            .Produces(StatusCodes.Status200OK).Produces<ErrorBody>(StatusCodes.Status404NotFound).Produces<ErrorBody>(StatusCodes.Status409Conflict);
        group.MapPost("/jobs/requests/{id}/review", ReviewAsync).RequirePermission(Permissions.JobRequestApprove).WithName("FormicaryRequestsReview")
            .Accepts<ReviewJobRequest>("application/json").Produces(StatusCodes.Status200OK).Produces<ErrorBody>(StatusCodes.Status400BadRequest)
            .Produces<ErrorBody>(StatusCodes.Status404NotFound).Produces<ErrorBody>(StatusCodes.Status409Conflict);
    }

    private static readonly UniqueFieldNames UniqueFields = new("unique_key", "unique_scope", "unique_states", "unique_window_seconds", "on_duplicate");

    private static async Task<IResult> SubmitAsync(HttpContext context, IOrchestrationClient client, IDefinitionStore store,
        IEnumerable<HandlerRegistration> handlers, TimeProvider time)
    {
        var request = await JsonBody.ReadAsync<SubmitJobRequest>(context, FormicaryJson.Options);
        var limits = context.Limits();
        var orgId = context.GetCaller().OrgId;
        if (string.IsNullOrWhiteSpace(request.JobType)) throw ApiException.Validation("job_type", "is required");
        if (limits.IdentifierProblem(request.JobType) is { } typeProblem) throw ApiException.Validation("job_type", typeProblem);
        var version = Version(request.JobVersion);
        var priority = request.JobPriority ?? 0;
        if (priority is < -MaxPriority or > MaxPriority) throw ApiException.Validation("job_priority", $"must be between {-MaxPriority} and {MaxPriority}");
        DateTimeOffset? scheduledAt = null;
        if (!string.IsNullOrEmpty(request.ScheduledAt))
        {
            if (!DateTimeOffset.TryParse(request.ScheduledAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) || !request.ScheduledAt.Contains('T', StringComparison.Ordinal))
                throw ApiException.Validation("scheduled_at", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z");
            if (at - time.GetUtcNow() > MaxScheduleAhead) throw ApiException.Validation("scheduled_at", $"must be at most {MaxScheduleAhead.TotalDays} days ahead");
            scheduledAt = at;
        }

        var unique = UniqueWire.Rule(request.UniqueKey, request.UniqueScope, request.UniqueStates,
            request.UniqueWindowSeconds is { } window ? TimeSpan.FromSeconds(window) : null, request.OnDuplicate, UniqueFields, "job_type", limits,
            (field, message) => ApiException.Validation(field, message));
        var parameters = FormicaryTranslation.Params(request.Params, MaxParams);
        foreach (var (key, _) in parameters)
        {
            if (key.Length == 0 || limits.IdentifierProblem(key) is not null) throw ApiException.Validation("params", $"keys must be 1 to {limits.MaxIdentifierLength} characters");
        }

        var stored = await store.GetDefinitionByNameAsync(orgId, request.JobType, version, context.RequestAborted)
                     ?? throw ApiException.NotFound(version is null ? $"Job definition '{request.JobType}'" : $"Job definition '{request.JobType}' version {version}");
        if (stored.Disabled) throw ApiException.Conflict($"Job definition '{stored.Name}' is disabled: it takes no new requests until it is enabled");
        var definition = FormicaryDefinition.FromStored(stored.DocumentJson, limits);
        var types = handlers.Select(h => h.Type).ToHashSet(StringComparer.Ordinal);
        var spec = new FormicaryTranslation(types).ToRunSpec(orgId, new FormicarySubmission(stored, definition, parameters, priority, scheduledAt), time.GetUtcNow());
        CreateRunResult created;
        try
        {
            created = await client.CreateRunAsync(spec with { Unique = unique }, context.RequestAborted);
        }
        catch (OrchestrationValidationException e)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, e.Message);
        }
        catch (UniqueConflictException e)
        {
            throw ApiException.Conflict(UniqueWire.ConflictMessage(e));
        }

        var tasks = await client.Queries.GetRunTasksAsync(orgId, created.Run.Id, context.RequestAborted);
        // A held unique key answers the request that holds it, as the job queue API does: 200 rather than 201.
        return FormicaryJson.Ok(FormicaryJson.ToContract(created.Run, tasks, withExecution: true), created.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IOrchestrationClient client, IDefinitionStore store, string? job_type, string? job_state, string? platform)
    {
        var limits = context.Limits();
        if (limits.QueryListProblem(context.Request.Query) is { } tooMany) throw ApiException.Validation(tooMany.Field, tooMany.Message);
        if (limits.IdentifierProblem(job_type) is { } typeProblem) throw ApiException.Validation("job_type", typeProblem);
        if (limits.IdentifierProblem(platform) is { } platformProblem) throw ApiException.Validation("platform", platformProblem);
        var (page, size, offset) = FormicaryPaging.Read(context.Request.Query);
        var orgId = context.GetCaller().OrgId;

        IReadOnlyList<string>? names = string.IsNullOrEmpty(job_type) ? null : [job_type];
        if (!string.IsNullOrEmpty(platform))
        {
            // Runs carry no platform column: the filter lists the job types whose current definition has the platform.
            var onPlatform = await store.ListDefinitionsAsync(new DefinitionQuery { OrgId = orgId, Platform = platform, Limit = MaxPlatformJobTypes + 1 }, context.RequestAborted);
            if (onPlatform.Total > MaxPlatformJobTypes) throw ApiException.Validation("platform", $"matches more than {MaxPlatformJobTypes} job types; filter by job_type as well");
            var types = onPlatform.Items.Select(d => d.Name).ToList();
            names = names is null ? types : names.Intersect(types, StringComparer.Ordinal).ToList();
        }

        var query = new RunQuery
        {
            OrgId = orgId,
            Family = FormicaryJson.Family,
            Names = names,
            Limit = size,
            Offset = offset,
            MaxPayloadChars = limits.MaxListPayloadBytes,
            PayloadBudgetChars = limits.MaxListResponseBytes,
        };
        if (!string.IsNullOrEmpty(job_state))
            query = FormicaryJson.StateFilter(query, job_state) ?? throw ApiException.Validation("job_state", "must be one of " + string.Join(", ", FormicaryJson.JobStates));
        var runs = await client.Queries.ListRunsAsync(query, context.RequestAborted);
        // Each record shows the state a read of it shows, from the few tasks that decide it (at most two small reads per
        // unfinished request on the page).
        var records = new List<JobRequestResponse>(runs.Items.Count);
        foreach (var run in runs.Items)
            records.Add(FormicaryJson.ToContract(run, await FormicaryJson.StateTasksAsync(client.Queries, run, context.RequestAborted), withExecution: false));
        return FormicaryJson.Ok(new PaginatedResult<JobRequestResponse>(records, runs.Total, page, size, FormicaryPaging.TotalPages(runs.Total, size)));
    }

    private static async Task<IResult> GetAsync(HttpContext context, IOrchestrationClient client, string id)
    {
        var orgId = context.GetCaller().OrgId;
        var run = await FindAsync(client, orgId, id, context.RequestAborted);
        var tasks = await client.Queries.GetRunTasksAsync(orgId, run.Id, context.RequestAborted);
        return FormicaryJson.Ok(FormicaryJson.ToContract(run, tasks, withExecution: true));
    }

    private static async Task<IResult> CancelAsync(HttpContext context, IOrchestrationClient client, string id)
    {
        var orgId = context.GetCaller().OrgId;
        var run = await FindAsync(client, orgId, id, context.RequestAborted);
        return await client.CancelRunAsync(orgId, run.Id, context.RequestAborted) switch
        {
            RunCommandStatus.Applied => FormicaryJson.Empty(),
            RunCommandStatus.NotFound => throw ApiException.NotFound("Job request"),
            _ => throw ApiException.Conflict("Job request is already finished"),
        };
    }

    private static async Task<IResult> RestartAsync(HttpContext context, IOrchestrationClient client, string id)
    {
        var orgId = context.GetCaller().OrgId;
        var run = await FindAsync(client, orgId, id, context.RequestAborted);
        // Formicary restarts completed requests too: those run again from the first task; a failed or cancelled one runs
        // what did not succeed. A request that changed state since it was read answers 409 from either operation.
        var restart = run.Status == RunStatus.Completed ? client.RerunRunAsync(orgId, run.Id, context.RequestAborted) : client.RestartRunAsync(orgId, run.Id, context.RequestAborted);
        return await restart switch
        {
            RunCommandStatus.Applied => FormicaryJson.Empty(),
            RunCommandStatus.NotFound => throw ApiException.NotFound("Job request"),
            _ => throw ApiException.Conflict("Only a COMPLETED, FAILED or CANCELLED job request can be restarted"),
        };
    }

    /// <summary>
    /// Approves or rejects a MANUAL task awaiting review. The reviewer recorded is the caller's identity as the
    /// platform knows it (its key or token subject), not a name from the body, so a review cannot be signed as someone else.
    /// </summary>
    private static async Task<IResult> ReviewAsync(HttpContext context, IOrchestrationClient client, string id)
    {
        var request = await JsonBody.ReadAsync<ReviewJobRequest>(context, FormicaryJson.Options);
        var limits = context.Limits();
        var caller = context.GetCaller();
        if (string.IsNullOrWhiteSpace(request.TaskType)) throw ApiException.Validation("task_type", "is required");
        if (limits.IdentifierProblem(request.TaskType) is { } typeProblem) throw ApiException.Validation("task_type", typeProblem);
        var approved = request.Status switch
        {
            "APPROVED" => true,
            "REJECTED" => false,
            _ => throw ApiException.Validation("status", "must be APPROVED or REJECTED"),
        };
        if (request.Comments is { Length: > MaxReviewComments }) throw ApiException.Validation("comments", $"must be at most {MaxReviewComments} characters");
        if (!approved && string.IsNullOrWhiteSpace(request.Comments)) throw ApiException.Validation("comments", "are required to reject");

        var run = await FindAsync(client, caller.OrgId, id, context.RequestAborted);
        // One execution per request: an execution_id other than the request's names no execution of it.
        if (!string.IsNullOrEmpty(request.ExecutionId) && (!Guid.TryParse(request.ExecutionId, out var execution) || execution != run.Id))
            throw ApiException.NotFound("Job execution");
        ReviewTaskResult result;
        try
        {
            result = await client.ReviewTaskAsync(new ReviewTaskParams
            {
                OrgId = caller.OrgId,
                Family = FormicaryJson.Family,
                RunId = run.Id,
                TaskName = request.TaskType,
                Approved = approved,
                Reviewer = caller.PartitionKey,
                Comments = string.IsNullOrWhiteSpace(request.Comments) ? null : request.Comments,
            }, context.RequestAborted);
        }
        catch (OrchestrationValidationException e)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, e.Message);
        }

        return result.Status switch
        {
            ReviewTaskStatus.Applied => FormicaryJson.Empty(),
            ReviewTaskStatus.NotFound => throw ApiException.NotFound($"Task '{request.TaskType}' of this job request"),
            _ => throw ApiException.Conflict($"Task '{request.TaskType}' is not awaiting manual approval"),
        };
    }

    private static int? Version(JsonElement? element)
    {
        if (element is not { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } value) return null;
        var ok = value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetInt32(out var n) ? n : 0,
            JsonValueKind.String when value.GetString() is { Length: > 0 } s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0,
            JsonValueKind.String => -1,
            _ => 0,
        };
        if (ok == -1) return null;
        if (ok < 1) throw ApiException.Validation("job_version", "must be a positive whole number (as a string or a number)");
        return ok;
    }

    private static async Task<Run> FindAsync(IOrchestrationClient client, string orgId, string id, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var runId)) throw ApiException.NotFound("Job request");
        return await FamilyScope.FindRunAsync(client, orgId, FamilyScope.Formicary, runId, cancellationToken) ?? throw ApiException.NotFound("Job request");
    }
}
