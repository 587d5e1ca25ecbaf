using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orchestration.Http.Formicary.Contracts;
using Orchestration.Http.Jobs;
using Orchestration.Http.Platform.Auth;
using Orchestration.Storage;

namespace Orchestration.Http.Formicary;

/// <summary>
/// <c>GET /api/health</c> in Formicary's shape (the store, plus every health check the host registered with
/// <c>AddHealthChecks</c>; 503 when a critical one fails) and <c>GET /api/metrics</c>, the same Prometheus text and
/// permission (<c>ops:read</c>) as <c>/api/v1/metrics</c>.
/// </summary>
internal static class FormicaryHealthEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/health", HealthAsync).RequirePermission(Permissions.HealthQuery).WithName("FormicaryHealth")
            .Produces<HealthQueryResponse>().Produces<HealthQueryResponse>(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/metrics", MetricsEndpoint.ScrapeAsync).RequirePermission(Permissions.OpsRead).WithName("FormicaryMetrics")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
    }

    private static async Task<IResult> HealthAsync(HttpContext context, IOrchestrationQueries queries, TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var statuses = new List<ServiceStatusResponse>();
        string? storeError = null;
        try
        {
            if (!await queries.PingAsync(context.RequestAborted)) storeError = "the store did not answer";
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The kind of failure only: the store's own logs have the rest, and messages can carry connection details.
            storeError = "the store is unreachable (" + e.GetType().Name + ")";
        }

        statuses.Add(new ServiceStatusResponse { Name = "database", Healthy = storeError is null, HealthError = storeError, LastCheck = now });

        if (context.RequestServices.GetService<HealthCheckService>() is { } checks)
        {
            var report = await checks.CheckHealthAsync(context.RequestAborted);
            foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                statuses.Add(new ServiceStatusResponse
                {
                    Name = name,
                    Healthy = entry.Status != HealthStatus.Unhealthy,
                    // A degraded check is reported but, like Formicary's non-critical services, does not fail the whole.
                    Critical = entry.Status != HealthStatus.Degraded,
                    HealthError = entry.Status == HealthStatus.Healthy ? null : entry.Description ?? entry.Status.ToString(),
                    LastCheck = now,
                });
            }
        }

        var healthy = statuses.All(s => s.Healthy || !s.Critical);
        var overall = new ServiceStatusResponse
        {
            Name = "orchestration",
            Healthy = healthy,
            HealthError = healthy ? null : string.Join("; ", statuses.Where(s => !s.Healthy).Select(s => s.Name + ": " + s.HealthError)),
            LastCheck = now,
        };
        return FormicaryJson.Ok(new HealthQueryResponse(overall, statuses), healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
