using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary><c>/api/health</c> in Formicary's shape and <c>/api/metrics</c>, the Prometheus text of <c>/api/v1/metrics</c>.</summary>
public sealed class FormicaryHealthTests(ApiBackend backend) : FormicaryFixture(backend)
{
    [Test]
    public async Task GetHealth_StoreReachable_200WithOverallAndDatabaseStatus()
    {
        var (_, client) = await NewTenantAsync("Health:Query");

        var (status, health, _) = await client.GetJsonAsync("/api/health");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), health?.ToJsonString());
        Assert.That(health!["overall_status"]!["healthy"]!.GetValue<bool>(), Is.True);
        var database = health["dependent_service_statuses"]!.AsArray().Single(s => s.Str("name") == "database")!;
        Assert.That(database["healthy"]!.GetValue<bool>(), Is.True);
        Assert.That(database["last_check"], Is.Not.Null);
    }

    [Test]
    public async Task GetHealth_HostCheckUnhealthy_503NamingIt()
    {
        await using var factory = new ApiFactory(Backend, services: s => s.AddHealthChecks()
            .AddCheck("queue-broker", () => HealthCheckResult.Unhealthy("broker unreachable"))
            .AddCheck("cache", () => HealthCheckResult.Degraded("slow")));
        using var admin = factory.WithKey(ApiFactory.BootstrapKey);

        var (status, health, _) = await admin.GetJsonAsync("/api/health");

        Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), health?.ToJsonString());
        var overall = health!["overall_status"]!;
        Assert.That(overall["healthy"]!.GetValue<bool>(), Is.False);
        Assert.That(overall.Str("health_error"), Is.EqualTo("queue-broker: broker unreachable"), "a degraded, non-critical check does not fail the whole");
        var names = health["dependent_service_statuses"]!.AsArray().Select(s => s.Str("name"));
        Assert.That(names, Is.EqualTo(new[] { "database", "cache", "queue-broker" }));
    }

    [Test]
    public async Task GetMetrics_OperatorPermission_PrometheusTextOfTheOrg()
    {
        var (_, client) = await NewTenantAsync("ops:read");
        var (_, other) = await NewTenantAsync("Health:Query");

        var response = await client.GetAsync("/api/metrics");
        var text = await response.Content.ReadAsStringAsync();
        var (refused, refusedBody, _) = await other.GetJsonAsync("/api/metrics");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/plain"));
        Assert.That(text, Does.Contain("# TYPE orchestration_active_executors gauge"));
        Assert.That((refused, refusedBody.Str("error")), Is.EqualTo((HttpStatusCode.Forbidden, "Missing permission 'ops:read'")));
    }

    [Test]
    public async Task GetHealth_WithoutHealthQuery_403()
    {
        var (_, client) = await NewTenantAsync("JobRequest:*");

        var (status, _, _) = await client.GetJsonAsync("/api/health");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
