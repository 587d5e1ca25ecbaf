using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Foreman.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Storage;

namespace Orchestration.Http.Foreman;

/// <summary><c>/api/v1/runs/{runId}/data</c>: several entries per key, latest wins on reads by key.</summary>
internal static class RunDataEndpoints
{
    public static void Map(RouteGroupBuilder data)
    {
        data.MapPost("/runs/{runId:guid}/data", CreateAsync).RequirePermission(Permissions.RunDataWrite).WithName("ForemanCreateRunData")
            .Accepts<CreateRunDataRequest>("application/json").Produces<RunDataResponse>(StatusCodes.Status201Created)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        data.MapGet("/runs/{runId:guid}/data/{key}", GetLatestAsync).RequirePermission(Permissions.RunDataRead).WithName("ForemanGetRunData")
            .Produces<RunDataResponse>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
        data.MapGet("/runs/{runId:guid}/data", ListAsync).RequirePermission(Permissions.RunDataRead).WithName("ForemanListRunData")
            .Produces<ListResponse<RunDataResponse>>().Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        data.MapPatch("/runs/{runId:guid}/data/{id:guid}/tags", ChangeTagsAsync).RequirePermission(Permissions.RunDataWrite).WithName("ForemanChangeRunDataTags")
            .Accepts<ChangeTagsRequest>("application/json").Produces<RunDataResponse>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
        data.MapDelete("/runs/{runId:guid}/data", DeleteAsync).RequirePermission(Permissions.RunDataWrite).WithName("ForemanDeleteRunData")
            .Produces<DeleteRunDataResponse>().Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IOrchestrationClient client, Guid runId)
    {
        var request = await JsonBody.ReadAsync<CreateRunDataRequest>(context, ForemanJson.Options);
        if (string.IsNullOrEmpty(request.Key)) throw ApiException.Validation("key", "is required");
        var limits = context.Limits();
        if (limits.IdentifierProblem(request.Key) is { } keyProblem) throw ApiException.Validation("key", keyProblem);
        if (limits.IdentifierListProblem(request.Tags) is { } tagsProblem) throw ApiException.Validation("tags", tagsProblem);
        var orgId = context.GetCaller().OrgId;
        await RequireRunAsync(client, orgId, runId, context.RequestAborted);
        if (request.TaskId is { } taskId)
        {
            var task = await client.Queries.GetTaskAsync(orgId, taskId, context.RequestAborted);
            if (task is null || task.RunId != runId) throw ApiException.Validation("taskId", "is not a task of this run");
        }

        var entry = await client.PutRunDataAsync(orgId, runId, new RunDataSpec
        {
            Key = request.Key,
            ValueJson = ForemanJson.Text(request.Value),
            TaskId = request.TaskId,
            Tags = request.Tags ?? [],
            MetadataJson = ForemanJson.Text(request.Metadata),
        }, context.RequestAborted) ?? throw ApiException.NotFound("Run");
        return ForemanJson.Ok(ForemanJson.ToContract(entry), StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetLatestAsync(HttpContext context, IOrchestrationClient client, Guid runId, string key)
    {
        var orgId = context.GetCaller().OrgId;
        await RequireRunAsync(client, orgId, runId, context.RequestAborted);
        var entry = await client.Queries.GetLatestRunDataAsync(orgId, runId, key, context.RequestAborted) ?? throw ApiException.NotFound("Run data");
        return ForemanJson.Ok(ForemanJson.ToContract(entry));
    }

    private static async Task<IResult> ListAsync(HttpContext context, IOrchestrationClient client, Guid runId,
        string? key, string? keys, string? keyStartsWith, string? keyPattern, string? tags, string? tagStartsWith, string? tagMode,
        string? includeAll, string? limit, string? offset, string? sortBy, string? sortOrder)
    {
        QueryParsing.RejectUnknown(context, "key", "keys", "keyStartsWith", "keyPattern", "tags", "tagStartsWith", "tagMode",
            "includeAll", "limit", "offset", "sortBy", "sortOrder");
        var mode = tagMode?.ToLowerInvariant() switch
        {
            null or "" or "any" => TagMatch.Any,
            "all" => TagMatch.All,
            _ => throw ApiException.Validation("tagMode", "must be 'any' or 'all'"),
        };
        var sort = sortBy switch
        {
            null or "" or "created_at" or "createdAt" => RunDataSortField.CreatedAt,
            "updated_at" or "updatedAt" => RunDataSortField.UpdatedAt,
            "key" => RunDataSortField.Key,
            _ => throw ApiException.Validation("sortBy", "must be created_at, updated_at or key"),
        };
        var limits = context.Limits();
        var query = new RunDataQuery
        {
            OrgId = context.GetCaller().OrgId,
            RunId = runId,
            Key = QueryParsing.CappedText(limits, "key", key),
            Keys = QueryParsing.CappedList(limits, "keys", keys),
            KeyPrefixes = QueryParsing.CappedList(limits, "keyStartsWith", keyStartsWith),
            KeyPattern = QueryParsing.CappedText(limits, "keyPattern", keyPattern),
            Tags = QueryParsing.CappedList(limits, "tags", tags),
            TagPrefixes = QueryParsing.CappedList(limits, "tagStartsWith", tagStartsWith),
            TagMatch = mode,
            IncludeAll = QueryParsing.Bool("includeAll", includeAll),
            Limit = QueryParsing.DataPages.Limit(limit),
            Offset = QueryParsing.DataPages.Offset(offset),
            SortBy = sort,
            Descending = QueryParsing.Descending(sortOrder),
        };
        await RequireRunAsync(client, query.OrgId, runId, context.RequestAborted);
        var page = await client.Queries.QueryRunDataAsync(query, context.RequestAborted);
        return ForemanLists.Page(page, ForemanJson.ToContract, query.Limit, query.Offset);
    }

    private static async Task<IResult> ChangeTagsAsync(HttpContext context, IOrchestrationClient client, Guid runId, Guid id)
    {
        var request = await JsonBody.ReadAsync<ChangeTagsRequest>(context, ForemanJson.Options);
        var limits = context.Limits();
        if (limits.IdentifierListProblem(request.Add) is { } addProblem) throw ApiException.Validation("add", addProblem);
        if (limits.IdentifierListProblem(request.Remove) is { } removeProblem) throw ApiException.Validation("remove", removeProblem);
        var orgId = context.GetCaller().OrgId;
        await RequireRunAsync(client, orgId, runId, context.RequestAborted);
        var entry = await client.ChangeRunDataTagsAsync(
            new ChangeRunDataTagsParams(orgId, runId, id, request.Add ?? [], request.Remove ?? []), context.RequestAborted)
            ?? throw ApiException.NotFound("Run data");
        return ForemanJson.Ok(ForemanJson.ToContract(entry));
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, IOrchestrationClient client, Guid runId, string? key, string? id)
    {
        var hasKey = !string.IsNullOrEmpty(key);
        var hasId = !string.IsNullOrEmpty(id);
        if (hasKey == hasId) throw ApiException.Validation("key", "give exactly one of the query parameters key and id");
        Guid? entryId = null;
        if (hasId)
        {
            if (!Guid.TryParse(id, out var parsed)) throw ApiException.Validation("id", "must be a UUID");
            entryId = parsed;
        }

        var orgId = context.GetCaller().OrgId;
        await RequireRunAsync(client, orgId, runId, context.RequestAborted);
        var deleted = await client.DeleteRunDataAsync(new DeleteRunDataParams(orgId, runId, hasKey ? key : null, entryId), context.RequestAborted);
        return ForemanJson.Ok(new DeleteRunDataResponse(deleted));
    }

    // A run's family never changes, so checking it before the write is as safe as checking it inside.
    private static async Task RequireRunAsync(IOrchestrationClient client, string orgId, Guid runId, CancellationToken cancellationToken)
    {
        if (await FamilyScope.FindRunAsync(client, orgId, FamilyScope.Foreman, runId, cancellationToken) is null) throw ApiException.NotFound("Run");
    }
}
