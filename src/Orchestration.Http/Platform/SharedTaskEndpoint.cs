using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestration.Engine;
using Orchestration.Http.Foreman;
using Orchestration.Http.Foreman.Contracts;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Workflows;

namespace Orchestration.Http.Platform;

/// <summary>
/// <c>GET /api/v1/tasks/{id}</c>, the one path two families share: it reads tasks of Foreman runs (for
/// <c>tasks:read</c>) and of workflows (for <c>workflows:read</c>). A Foreman task reads exactly as the Foreman API
/// writes it; a workflow's task carries Foreman's fields plus FlowCtl's (<c>workflow_id</c>, <c>name</c>,
/// <c>payload</c>, <c>result</c>, <c>error</c>, ...), FlowCtl's values winning where the names meet (<c>status</c>).
/// Mounted once per route builder by whichever of the two families is mounted first.
/// </summary>
internal static class SharedTaskEndpoint
{
    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, object> Mounted = new();

    public static void MapOnce(IEndpointRouteBuilder endpoints, RouteGroupBuilder group)
    {
        if (!Mounted.TryAdd(endpoints, new object())) return;
        // Any caller passes the platform filter; the family permissions are checked here, per task.
        group.MapGet("/tasks/{id:guid}", GetAsync).RequireAuthenticatedCaller().WithName("ForemanGetTask").WithTags("Foreman tasks")
            .Produces<TaskResponse>().Produces<ErrorBody>(StatusCodes.Status403Forbidden).Produces<ErrorBody>(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> GetAsync(HttpContext context, IOrchestrationClient client, Guid id)
    {
        var caller = context.GetCaller();
        var readable = new HashSet<string>(StringComparer.Ordinal);
        if (caller.Has(Permissions.TasksRead)) readable.Add(ForemanJson.Family);
        if (caller.Has(Permissions.WorkflowsRead)) readable.Add(WorkflowsJson.Family);
        if (readable.Count == 0) throw new ApiException(StatusCodes.Status403Forbidden, $"Missing permission '{Permissions.TasksRead}'");

        var task = await FamilyScope.FindTaskAsync(client, caller.OrgId, readable, id, context.RequestAborted) ?? throw ApiException.NotFound("Task");
        var foreman = ForemanJson.ToContract(task);
        var run = await client.Queries.GetRunAsync(caller.OrgId, task.RunId, context.RequestAborted);
        if (run?.Family != WorkflowsJson.Family) return ForemanJson.Ok(foreman);

        var union = JsonSerializer.SerializeToNode(foreman, ForemanJson.Options)!.AsObject();
        foreach (var (name, value) in JsonSerializer.SerializeToNode(WorkflowsJson.ToContract(task), WorkflowsJson.Options)!.AsObject())
            union[name] = value?.DeepClone();
        return Results.Json(union, ForemanJson.Options);
    }
}
