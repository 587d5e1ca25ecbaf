using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Dashboard;

namespace Orchestration.Http;

/// <summary>Mounts the dashboard.</summary>
public static class OrchestrationDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Mounts the dashboard under <paramref name="prefix"/> (default <c>/dashboard</c>): server-rendered pages of the
    /// caller's org's runs with live updates, signed in with an API key or token exchanged for a session cookie, every
    /// action checked against the permission its API family asks for. Needs <c>AddOrchestration</c> and
    /// <c>AddOrchestrationHttp</c>; the API itself need not be mounted. Returns the group, so the host can decorate it.
    /// </summary>
    public static RouteGroupBuilder MapOrchestrationDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/dashboard")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        prefix = prefix.TrimEnd('/');
        if (prefix.Length > 0 && !prefix.StartsWith('/')) throw new ArgumentException("The dashboard prefix must start with '/'.", nameof(prefix));
        // The same registration check as the API families: a missing AddOrchestration/AddOrchestrationHttp fails at start.
        var services = endpoints.ServiceProvider;
        if (services.GetService<OrchestrationHttpMarker>() is null)
            throw new InvalidOperationException("Orchestration dashboard: the HTTP platform is not registered. Call builder.Services.AddOrchestration(...) and builder.Services.AddOrchestrationHttp(builder.Configuration) before MapOrchestrationDashboard().");
        var mount = new DashboardMount(prefix);
        // Per mount: sessions of one dashboard are not valid at another prefix (their cookie path differs anyway).
        var sessions = new DashboardSessions(services.GetRequiredService<TimeProvider>());
        var group = endpoints.MapGroup(prefix).ExcludeFromDescription();
        group.AddEndpointFilter(ActivatorUtilities.CreateInstance<DashboardFilter>(services, mount, sessions));
        DashboardEndpoints.Map(group, mount, sessions, new EventHead());
        return group;
    }
}
