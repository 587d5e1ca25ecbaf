using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Executors;
using Orchestration.Http.Formicary.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Formicary;

/// <summary>
/// <c>/api/ants</c> (registered executors, from the store's executor registry) and <c>/api/executors</c> (running
/// Formicary executions, from the running tasks). What an executor holds is read from the running tasks, the truth after
/// reaping; its last call, capacity and counters from the registry that every host shares.
/// </summary>
internal static class WorkerEndpoints
{
    private const int MaxRunningScanned = 10_000;

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/ants", AntsAsync).RequirePermission(Permissions.AntExecutorQuery).WithName("FormicaryAnts")
            .Produces<IReadOnlyList<AntRegistrationResponse>>();
        group.MapGet("/executors", ExecutorsAsync).RequirePermission(Permissions.ContainerQuery).WithName("FormicaryExecutors")
            .Produces<PaginatedResult<ContainerLifecycleEventResponse>>().Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        group.MapDelete("/executors/{id}", TerminateAsync).RequirePermission(Permissions.ContainerDelete).WithName("FormicaryExecutorsDelete")
            .Produces(StatusCodes.Status200OK).Produces<ErrorBody>(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> AntsAsync(HttpContext context, IOrchestrationClient client, ExecutorTracker tracker, IExecutorRegistry registry,
        TimeProvider time, IOptions<OrchestrationHttpOptions> options)
    {
        var orgId = context.GetCaller().OrgId;
        // This host's buffered executor calls first, so an executor that just called is listed.
        await tracker.FlushAsync(context.RequestAborted);
        var running = await RunningAsync(client, orgId, null, 0, MaxRunningScanned, context.RequestAborted);
        var formicary = await RunningAsync(client, orgId, FormicaryJson.Family, 0, MaxRunningScanned, context.RequestAborted);
        var load = running.Items.Where(t => t.ExecutorId is not null).GroupBy(t => t.ExecutorId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var held = formicary.Items.Where(t => t.ExecutorId is not null).GroupBy(t => t.ExecutorId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var records = (await registry.ListExecutorsAsync(orgId, context.RequestAborted)).ToDictionary(r => r.ExecutorId, StringComparer.Ordinal);
        var since = time.GetUtcNow() - options.Value.Executors.HeartbeatTimeout;

        var ids = new SortedSet<string>(load.Keys, StringComparer.Ordinal);
        foreach (var r in records.Values)
        {
            if (r.LastSeen >= since) ids.Add(r.ExecutorId);
        }

        var ants = ids.Select(id =>
        {
            records.TryGetValue(id, out var record);
            var tasks = held.GetValueOrDefault(id) ?? [];
            return new AntRegistrationResponse
            {
                AntId = id,
                Methods = record?.Types ?? tasks.Select(t => t.Type).Distinct(StringComparer.Ordinal).ToList(),
                MaxCapacity = record?.Capacity ?? Math.Max(1, load.GetValueOrDefault(id)),
                CurrentLoad = load.GetValueOrDefault(id),
                TotalExecuted = record?.JobsCompleted ?? 0,
                LastHeartbeatAt = record?.LastSeen.UtcDateTime,
                Allocations = tasks.GroupBy(t => t.RunId).ToDictionary(g => g.Key.ToString(), g => new AntAllocationResponse
                {
                    JobRequestId = g.Key,
                    AntId = id,
                    TaskTypes = g.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(n => n.Key, _ => "EXECUTING", StringComparer.Ordinal),
                    AllocatedAt = g.Min(t => t.StartedAt)?.UtcDateTime,
                }),
            };
        }).ToList();
        return FormicaryJson.Ok(ants);
    }

    private static async Task<IResult> ExecutorsAsync(HttpContext context, IOrchestrationClient client)
    {
        var (page, size, offset) = FormicaryPaging.Read(context.Request.Query);
        var caller = context.GetCaller();
        var running = await RunningAsync(client, caller.OrgId, FormicaryJson.Family, offset, size, context.RequestAborted);
        var items = running.Items.Select(t => new ContainerLifecycleEventResponse
        {
            Id = t.Id,
            OrganizationId = t.OrgId,
            AntId = t.ExecutorId,
            Method = t.Type,
            ContainerName = t.Name,
            ContainerId = t.Id.ToString(),
            ContainerState = "RUNNING",
            JobRequestId = t.RunId,
            TaskType = t.Name,
            StartTime = t.StartedAt?.UtcDateTime,
        }).ToList();
        return FormicaryJson.Ok(new PaginatedResult<ContainerLifecycleEventResponse>(items, running.Total, page, size, FormicaryPaging.TotalPages(running.Total, size)));
    }

    /// <summary>
    /// Terminates a running execution through the engine's cancel: the job request it belongs to is cancelled, so the
    /// running handler's token fires (in process) or its executor's next heartbeat answers cancel (remote), and no
    /// later task of that request starts. <c>antID</c> and <c>method</c>, when given, must match the execution (the method in
    /// any case: Formicary clients send <c>DOCKER</c> where the task type is <c>docker</c>).
    /// </summary>
    private static async Task<IResult> TerminateAsync(HttpContext context, IOrchestrationClient client, string id, string? antID, string? method)
    {
        var orgId = context.GetCaller().OrgId;
        if (!Guid.TryParse(id, out var taskId)) throw ApiException.NotFound("Executor");
        var task = await FamilyScope.FindTaskAsync(client, orgId, FamilyScope.Formicary, taskId, context.RequestAborted);
        if (task is not { Status: TaskRunStatus.Running }
            || (!string.IsNullOrEmpty(antID) && !string.Equals(antID, task.ExecutorId, StringComparison.Ordinal))
            || (!string.IsNullOrEmpty(method) && !string.Equals(method, task.Type, StringComparison.OrdinalIgnoreCase)))
            throw ApiException.NotFound("Executor");
        // NotFound or InvalidState: the request finished between the read and the cancel, so nothing runs any more.
        return await client.CancelRunAsync(orgId, task.RunId, context.RequestAborted) == RunCommandStatus.Applied
            ? FormicaryJson.Empty()
            : throw ApiException.NotFound("Executor");
    }

    private static Task<Page<TaskRun>> RunningAsync(IOrchestrationClient client, string orgId, string? family, int offset, int limit, CancellationToken cancellationToken) =>
        client.Queries.ListTasksAsync(new TaskQuery
        {
            OrgId = orgId,
            Family = family,
            Status = TaskRunStatus.Running,
            Offset = offset,
            Limit = limit,
            // Only ids, names, types and executors are shown; payloads would cost whatever the running tasks hold.
            MaxPayloadChars = 0,
        }, cancellationToken);
}
