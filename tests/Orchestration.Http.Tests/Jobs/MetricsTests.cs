using Orchestration.Testing;
using System.Diagnostics;
using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Jobs;

/// <summary><c>GET /api/v1/metrics</c> parsed by Prometheus's own checker (<c>promtool</c>, Debian package <c>prometheus</c>).</summary>
public sealed class MetricsTests(ApiBackend backend) : JobsFixture(backend)
{
    [Test]
    public async Task Metrics_AfterJobLifecycle_PrometheusTextThatPromtoolAccepts()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client, "a", "foreground");
        await SubmitAsync(t.Client, "b", "best_effort");
        await ClaimAsync(t.Client, "worker-1");
        await PutAsync(t.Client, $"/api/v1/jobs/{id}/complete", new { executor_id = "worker-1", stdout = "ok", exit_code = 0 });

        using var response = await t.Client.GetAsync(new Uri("/api/v1/metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        var (exit, promtoolOutput) = await PromtoolCheckAsync(text);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        Assert.That(text, Does.Contain("orchestration_jobs_submitted_total ").And.Contain("orchestration_jobs_completed_total ")
            .And.Contain("orchestration_job_duration_seconds_bucket{le=\"+Inf\"}").And.Contain("orchestration_lease_expirations_total ")
            .And.Contain("orchestration_jobs_queue_depth{priority=\"best_effort\"} 1").And.Contain("orchestration_active_executors 1"));
        Assert.That(exit, Is.Zero, $"promtool check metrics:\n{promtoolOutput}\n---\n{text}");
    }

    [Test]
    public async Task Metrics_KeyWithoutOpsRead_Returns403()
    {
        var t = await NewTenantAsync("jobs:*");
        var (status, _, _) = await t.Client.GetJsonAsync("/api/v1/metrics");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    /// <summary>Runs <c>promtool check metrics</c> on the text; promtool is provisioned by <see cref="Promtool"/>, and a failure to provide it fails the test.</summary>
    private static async Task<(int Exit, string Output)> PromtoolCheckAsync(string text)
    {
        var psi = new ProcessStartInfo(await Promtool.EnsureAsync()) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("check");
        psi.ArgumentList.Add("metrics");
        using (var process = Process.Start(psi)!)
        {
            await process.StandardInput.WriteAsync(text);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
