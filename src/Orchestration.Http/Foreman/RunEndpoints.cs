using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Foreman.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Storage;

namespace Orchestration.Http.Foreman;

/// <summary><c>/api/v1/runs</c>. Runs created here are open runs: their status changes only when a client sets it.</summary>
internal static class RunEndpoints
{
    public static void Map(RouteGroupBuilder runs)
    {
        runs.MapPost("/runs", CreateAsync).RequirePermission(Permissions.RunsCreate).WithName("ForemanCreateRun")
            .Accepts<CreateRunRequest>("application/json").Produces<RunResponse>(StatusCodes.Status201Created).Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        runs.MapGet("/runs/{id:guid}", GetAsync).RequirePermission(Permissions.RunsRead).WithName("ForemanGetRun")
            .Produces<RunResponse>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
        runs.MapPatch("/runs/{id:guid}", UpdateAsync).RequirePermission(Permissions.RunsUpdate).WithName("ForemanUpdateRun")
            .Accepts<UpdateRunRequest>("application/json").Produces<RunResponse>()
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound).Produces<ErrorBody>(StatusCodes.Status409Conflict);
        runs.MapGet("/runs", ListAsync).RequirePermission(Permissions.RunsRead).WithName("ForemanListRuns")
            .Produces<ListResponse<RunResponse>>().Produces<ErrorBody>(StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IOrchestrationClient client)
    {
        var request = await JsonBody.ReadAsync<CreateRunRequest>(context, ForemanJson.Options);
        if (ForemanJson.Text(request.InputData) is not { } input) throw ApiException.Validation("inputData", "is required");
        var limits = context.Limits();
        if (request.Unique is { Key: null }) throw ApiException.Validation("unique.key", "is required");
        var unique = request.Unique is { } u
            ? UniqueWire.Rule(u.Key, null, u.States, u.WindowSeconds is { } s ? TimeSpan.FromSeconds(s) : null, u.OnDuplicate, ForemanUniqueFields, "name", limits, ApiException.Validation)
            : null;
        var result = await client.CreateRunAsync(new RunSpec
        {
            OrgId = context.GetCaller().OrgId,
            Family = ForemanJson.Family,
            Open = true,
            InputJson = input,
            MetadataJson = ForemanJson.Text(request.Metadata),
            IdempotencyKey = UniqueWire.IdempotencyKey(context, limits, ApiException.Validation),
            Unique = unique,
        }, context.RequestAborted);
        // A repeated create answers 200 with the run it already made, so a client can tell it made nothing new.
        return ForemanJson.Ok(ForemanJson.ToContract(result.Run), result.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static readonly UniqueFieldNames ForemanUniqueFields = new("unique.key", "unique.scope", "unique.states", "unique.windowSeconds", "unique.onDuplicate");

    private static async Task<IResult> GetAsync(HttpContext context, IOrchestrationClient client, Guid id)
    {
        var run = await FamilyScope.FindRunAsync(client, context.GetCaller().OrgId, FamilyScope.Foreman, id, context.RequestAborted) ?? throw ApiException.NotFound("Run");
        return ForemanJson.Ok(ForemanJson.ToContract(run));
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, IOrchestrationClient client, Guid id)
    {
        var request = await JsonBody.ReadAsync<UpdateRunRequest>(context, ForemanJson.Options);
        RunStatus? status = null;
        if (request.Status is not null)
        {
            if (!StatusNames.TryParseRunStatus(request.Status, out var parsed))
                throw ApiException.Validation("status", "must be one of pending, running, completed, failed, cancelled");
            status = parsed;
        }

        var orgId = context.GetCaller().OrgId;
        var outcome = await client.UpdateRunAsync(new UpdateRunParams
        {
            OrgId = orgId,
            Family = ForemanJson.Family,
            RunId = id,
            Status = status,
            OutputJson = ForemanJson.Text(request.OutputData),
            ErrorJson = ForemanJson.Text(request.ErrorData),
            MetadataJson = ForemanJson.Text(request.Metadata),
        }, context.RequestAborted);
        switch (outcome)
        {
            case RunCommandStatus.NotFound: throw ApiException.NotFound("Run");
            case RunCommandStatus.InvalidState: throw ApiException.Conflict("The run has finished (completed, failed or cancelled); its status can no longer change");
        }

        var run = await client.Queries.GetRunAsync(orgId, id, context.RequestAborted) ?? throw ApiException.NotFound("Run");
        return ForemanJson.Ok(ForemanJson.ToContract(run));
    }

    private static async Task<IResult> ListAsync(HttpContext context, IOrchestrationClient client,
        string? limit, string? offset, string? status, string? sortBy, string? sortOrder)
    {
        QueryParsing.RejectUnknown(context, "limit", "offset", "status", "sortBy", "sortOrder");
        if (context.Limits().QueryListProblem(context.Request.Query) is { } tooMany) throw ApiException.Validation(tooMany.Field, tooMany.Message);
        RunStatus? filter = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!StatusNames.TryParseRunStatus(status, out var parsed)) throw ApiException.Validation("status", "unknown run status");
            filter = parsed;
        }

        var sort = sortBy switch
        {
            null or "" or "created_at" or "createdAt" => RunSortField.CreatedAt,
            "updated_at" or "updatedAt" => RunSortField.UpdatedAt,
            "started_at" or "startedAt" => RunSortField.StartedAt,
            "completed_at" or "completedAt" => RunSortField.CompletedAt,
            "status" => RunSortField.Status,
            _ => throw ApiException.Validation("sortBy", "must be created_at, updated_at, started_at, completed_at or status"),
        };
        var limits = context.Limits();
        var query = new RunQuery
        {
            OrgId = context.GetCaller().OrgId,
            Family = ForemanJson.Family,
            Status = filter,
            Limit = QueryParsing.ListPages.Limit(limit),
            Offset = QueryParsing.ListPages.Offset(offset),
            MaxPayloadChars = limits.MaxListPayloadBytes,
            PayloadBudgetChars = limits.MaxListResponseBytes,
            SortBy = sort,
            Descending = QueryParsing.Descending(sortOrder),
        };
        var page = await client.Queries.ListRunsAsync(query, context.RequestAborted);
        return ForemanLists.Page(page, limits,
            r => StoredJson.ListCost(limits.MaxListPayloadBytes, r.InputJson, r.OutputJson, r.ErrorJson, r.MetadataJson),
            r => ForemanJson.ToContract(r, limits.MaxListPayloadBytes), query.Limit, query.Offset);
    }
}
