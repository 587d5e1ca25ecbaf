using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Workflows;

/// <summary>The engine's instruments for every family on <c>GET /api/v1/metrics</c>, as Prometheus text.</summary>
public sealed class EngineMetricsTests(ApiBackend backend) : WorkflowsFixture(backend)
{
    [Test]
    public async Task Metrics_AfterWorkflowRanOnDemoHandlers_RunsCreatedByFamilyAndHandlerDurationByType()
    {
        var t = await NewTenantAsync();
        var workflow = await CreateAsync(t.Client, new
        {
            name = "measured",
            tasks = new object[] { new { name = "only", type = "generic", payload = new { command = "noop", duration_ms = 0 } } },
        });
        await WaitForStatusAsync(t.Client, workflow.Str("id"), "completed");

        // Process-wide counters are for system callers.
        using var response = await Admin.GetAsync(new Uri("/api/v1/metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(text, Does.Match("""orchestration_runs_created_total\{orchestration_family="workflows"\} [1-9]"""));
        Assert.That(text, Does.Match("""orchestration_handler_duration_seconds_bucket\{orchestration_outcome="completed",orchestration_task_type="generic",le="\+Inf"\} [1-9]"""));
        Assert.That(text, Does.Match("""orchestration_handler_duration_seconds_count\{orchestration_outcome="completed",orchestration_task_type="generic"\} [1-9]"""));
        Assert.That(text, Does.Contain("# TYPE orchestration_handler_duration_seconds histogram"));
    }
}
