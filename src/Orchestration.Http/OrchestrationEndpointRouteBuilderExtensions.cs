using Microsoft.Extensions.DependencyInjection;
using Orchestration.Hosting;
using Microsoft.AspNetCore.Http.Metadata;
using Orchestration.Http.Admin;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Foreman;
using Orchestration.Http.Platform.Health;
using Orchestration.Http.Jobs;
using Orchestration.Http.Platform;
using Orchestration.Http.Workflows;

namespace Orchestration.Http;

/// <summary>Mounts the REST API families.</summary>
public static class OrchestrationEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Mounts every API family, the admin API and the health endpoints. Returns the group holding all of them, so the
    /// host can decorate every endpoint at once (tags, CORS, host filters). Throws at start-up when
    /// <c>AddOrchestration</c> or <c>AddOrchestrationHttp</c> was not called.
    /// </summary>
    public static RouteGroupBuilder MapOrchestrationApi(this IEndpointRouteBuilder endpoints)
    {
        EnsureRegistered(endpoints);
        var root = endpoints.MapGroup("");
        HealthEndpoints.Map(root);
        root.MapOrchestrationAdminApi();
        root.MapForemanApi();
        root.MapJobsApi();
        root.MapWorkflowsApi();
        root.MapFormicaryApi();
        root.MapWebhooksApi();
        root.MapEventsApi();
        return root;
    }

    /// <summary>Mounts <c>GET /health</c> and <c>GET /api/v1/health</c> alone (no auth, no rate limit).</summary>
    public static RouteGroupBuilder MapOrchestrationHealth(this IEndpointRouteBuilder endpoints)
    {
        EnsureRegistered(endpoints);
        var root = endpoints.MapGroup("");
        HealthEndpoints.Map(root);
        return root;
    }

    /// <summary>Mounts the admin API (<c>/api/v1/admin/orgs</c>, <c>/api/v1/admin/api-keys</c>) alone; it needs the <c>admin</c> permission.</summary>
    public static RouteGroupBuilder MapOrchestrationAdminApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapOrchestrationGroup("/api/v1/admin");
        AdminEndpoints.Map(group);
        return group;
    }

    /// <summary>Mounts the Foreman family (runs, tasks, run data; camelCase JSON) alone.</summary>
    public static RouteGroupBuilder MapForemanApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapOrchestrationGroup("/api/v1");
        ForemanEndpoints.Map(group);
        SharedTaskEndpoint.MapOnce(endpoints, group);
        return group;
    }

    /// <summary>
    /// Mounts the job queue API alone (snake_case JSON): <c>/api/v1/jobs</c>, its executor calls,
    /// <c>/api/v1/admin/stats</c> and <c>/api/v1/admin/executors</c>.
    /// </summary>
    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapOrchestrationGroup("/api/v1");
        // Created now rather than at the first scrape, so measurements from start-up on are counted.
        endpoints.ServiceProvider.GetRequiredService<Platform.Metrics.PrometheusExporter>();
        JobsEndpoints.Map(group);
        MetricsEndpoint.MapOnce(endpoints, group);
        return group;
    }

    /// <summary>
    /// Mounts FlowCtl's workflows API alone (snake_case JSON): <c>/api/v1/workflows</c> (create, list, get, tasks,
    /// cancel), <c>GET /api/v1/tasks/{id}</c> (shared with the Foreman API) and <c>GET /api/v1/metrics</c> (Prometheus
    /// text, or FlowCtl's JSON for <c>Accept: application/json</c>; shared with the job queue API). The shared paths are
    /// mounted once per route builder, whichever family comes first. Workflows run on the handlers registered for their
    /// task types (<c>AddTaskHandler</c>).
    /// </summary>
    public static RouteGroupBuilder MapWorkflowsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapOrchestrationGroup("/api/v1");
        endpoints.ServiceProvider.GetRequiredService<Platform.Metrics.PrometheusExporter>();
        WorkflowEndpoints.Map(group.MapGroup("").WithTags("Workflows"));
        SharedTaskEndpoint.MapOnce(endpoints, group);
        MetricsEndpoint.MapOnce(endpoints, group);
        return group;
    }

    /// <summary>
    /// Mounts the Formicary API alone: job definitions (<c>/api/jobs/definitions</c>, from JSON or YAML, versioned) and
    /// job requests (<c>/api/jobs/requests</c>), with Formicary's <c>Resource:Action</c> permissions. A request runs its
    /// definition's tasks on the handlers registered for their task types or methods (<c>AddTaskHandler</c>), on exec,
    /// or on remote executors claiming the method.
    /// </summary>
    public static RouteGroupBuilder MapFormicaryApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapOrchestrationGroup("/api");
        var family = group.MapGroup("").WithTags("Formicary");
        Formicary.DefinitionEndpoints.Map(family);
        Formicary.RequestEndpoints.Map(family);
        Formicary.FormicaryAdminApi.Map(family);
        Formicary.ArtifactEndpoints.Map(family);
        return group;
    }

    /// <summary>
    /// Mounts the webhooks API alone: <c>POST/GET /api/v1/webhooks</c>, <c>DELETE /api/v1/webhooks/{id}</c> and
    /// <c>GET /api/v1/webhooks/{id}/deliveries</c> (permission <c>webhooks:manage</c>). Deliveries are sent by the
    /// dispatcher <c>AddOrchestrationHttp</c> registers, whether or not this API is mounted.
    /// </summary>
    public static RouteGroupBuilder MapWebhooksApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapOrchestrationGroup("/api/v1");
        Webhooks.WebhooksEndpoints.Map(group);
        return group;
    }

    /// <summary>
    /// Mounts <c>GET /api/v1/events</c> alone: the caller's org's events after a sequence, as JSON or as server-sent
    /// events (permission <c>events:read</c>).
    /// </summary>
    public static RouteGroupBuilder MapEventsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapOrchestrationGroup("/api/v1");
        Events.EventsEndpoints.Map(group);
        return group;
    }

    /// <summary>
    /// A route group under <paramref name="prefix"/> whose endpoints get the platform's auth, rate limit, permission
    /// check and error mapping. API families mount their endpoints in one of these and declare a permission on each
    /// endpoint with <c>RequirePermission</c>; endpoints without one are refused.
    /// </summary>
    public static RouteGroupBuilder MapOrchestrationGroup(this IEndpointRouteBuilder endpoints, string prefix)
    {
        EnsureRegistered(endpoints);
        var group = endpoints.MapGroup(prefix);
        group.AddEndpointFilter(endpoints.ServiceProvider.GetRequiredService<ApiPlatformFilter>());
        foreach (var status in new[] { StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests })
            group.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ErrorBody), ["application/json"]));
        return group;
    }

    private static void EnsureRegistered(IEndpointRouteBuilder endpoints)
    {
        if (endpoints.ServiceProvider.GetService<OrchestrationMarker>() is null)
            throw new InvalidOperationException("Orchestration HTTP: the engine is not registered. Call builder.Services.AddOrchestration(o => ...) before MapOrchestrationApi().");
        if (endpoints.ServiceProvider.GetService<OrchestrationHttpMarker>() is null)
            throw new InvalidOperationException("Orchestration HTTP: the HTTP platform is not registered. Call builder.Services.AddOrchestrationHttp(builder.Configuration) before MapOrchestrationApi().");
    }
}
