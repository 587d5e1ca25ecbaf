using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestration.Diagnostics;
using Orchestration.Http.Platform.Metrics;
using Orchestration.Http.Tests.Infrastructure;
using Orchestration.Testing;

namespace Orchestration.Http.Tests.Platform;

/// <summary>Storage growth and retention counts in <c>/api/v1/metrics</c> (text and JSON) and <c>/api/v1/admin/stats</c>.</summary>
public sealed class StorageGrowthMetricsTests(ApiBackend backend) : ApiFixture(backend)
{
    // Past the reader's cache, so each test reads what it wrote, and the oldest row has an age.
    private async Task<Tenant> TenantWithARunAsync()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        await CreateTaskAsync(t.Client, run);
        Factory.Time.Advance(StorageGrowthReader.CacheFor + TimeSpan.FromSeconds(1));
        return t;
    }

    private static async Task<string> MetricsTextAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/api/v1/metrics", UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<JsonNode> MetricsJsonAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/metrics");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static double Sample(string text, string series)
    {
        var match = Regex.Match(text, "^" + Regex.Escape(series) + " (\\S+)$", RegexOptions.Multiline);
        Assert.That(match.Success, Is.True, $"no sample {series} in:\n{text}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Test]
    public async Task Metrics_SystemCaller_RowsAndOldestRowAgePerTable()
    {
        await TenantWithARunAsync();

        var text = await MetricsTextAsync(Admin);

        Assert.That(Sample(text, "orchestration_storage_rows{table=\"runs\"}"), Is.GreaterThanOrEqualTo(1));
        Assert.That(Sample(text, "orchestration_storage_rows{table=\"tasks\"}"), Is.GreaterThanOrEqualTo(1));
        Assert.That(Sample(text, "orchestration_storage_rows{table=\"webhook_deliveries\"}"), Is.GreaterThanOrEqualTo(0));
        Assert.That(Sample(text, "orchestration_storage_oldest_row_age_seconds{table=\"runs\"}"), Is.GreaterThanOrEqualTo(StorageGrowthReader.CacheFor.TotalSeconds));
        Assert.That(text, Does.Contain("# TYPE orchestration_storage_rows gauge"));
        var (exit, output) = await PromtoolCheckAsync(text);
        Assert.That(exit, Is.Zero, $"promtool check metrics:\n{output}\n---\n{text}");
    }

    [Test]
    public async Task Metrics_OrgOperator_NoWholeStoreFigures()
    {
        var t = await TenantWithARunAsync();

        var text = await MetricsTextAsync(t.Client);
        var json = await MetricsJsonAsync(t.Client);
        var (_, stats, _) = await t.Client.GetJsonAsync("/api/v1/admin/stats");

        Assert.That(text, Does.Not.Contain("orchestration_storage_rows"));
        Assert.That(json["storage"], Is.Null);
        Assert.That(json["retention"], Is.Null);
        Assert.That(stats!["storage"], Is.Null);
        Assert.That(stats["jobs_by_status"], Is.Not.Null);
    }

    [Test]
    public async Task MetricsJson_SystemCaller_StorageTablesAndRetentionCounts()
    {
        await TenantWithARunAsync();

        var json = await MetricsJsonAsync(Admin);

        var tables = json["storage"]!.AsArray().ToDictionary(t => t.Str("table"));
        Assert.That(tables.Keys, Is.EquivalentTo(new[] { "runs", "tasks", "attempts", "events", "run_data", "webhook_deliveries", "executors" }));
        Assert.That(tables["runs"]!["rows"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(1));
        Assert.That(tables["runs"]!["estimated"]!.GetValue<bool>(), Is.False);
        Assert.That(tables["runs"]!["oldest_at"], Is.Not.Null);
        Assert.That(tables["runs"]!["oldest_age_seconds"]!.GetValue<double>(), Is.GreaterThanOrEqualTo(StorageGrowthReader.CacheFor.TotalSeconds));
        Assert.That(json["retention"]!["runs_deleted"], Is.InstanceOf<JsonArray>());
        Assert.That(json["retention"]!["webhook_deliveries_deleted"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(0));
        Assert.That(json["workflows"], Is.Not.Null, "FlowCtl's fields stay");
    }

    [Test]
    public async Task AdminStats_SystemCaller_StorageTablesBesideTheJobCounts()
    {
        await TenantWithARunAsync();

        var (status, stats, _) = await Admin.GetJsonAsync("/api/v1/admin/stats");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var runs = stats!["storage"]!.AsArray().Single(t => t.Str("table") == "runs");
        Assert.That(runs!["rows"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(1));
        Assert.That(stats["retention"]!["runs_deleted"], Is.InstanceOf<JsonArray>());
        Assert.That(stats["jobs_by_status"], Is.Not.Null);
    }

    [Test]
    public async Task Render_CounterWithTags_OneLabelledSeriesPerTagSetThatPromtoolAccepts()
    {
        using var exporter = new PrometheusExporter();
        // The exporter listens to the engine's meter by name, so a meter of that name in the test is heard as the engine's.
        using var meter = new Meter(OrchestrationMetrics.MeterName);
        var counter = meter.CreateCounter<long>("orchestration.test.labelled", description: "A labelled test counter");
        counter.Add(3, new KeyValuePair<string, object?>("state", "completed"), new KeyValuePair<string, object?>("rule", "jobs/\"thumb\""));
        counter.Add(2, new KeyValuePair<string, object?>("rule", "jobs/\"thumb\""), new KeyValuePair<string, object?>("state", "completed"));
        counter.Add(1, new KeyValuePair<string, object?>("rule", "default"), new KeyValuePair<string, object?>("state", "failed"));

        var text = exporter.Render(processWide: true, []);

        Assert.That(text, Does.Contain("orchestration_test_labelled_total{rule=\"jobs/\\\"thumb\\\"\",state=\"completed\"} 5\n"));
        Assert.That(text, Does.Contain("orchestration_test_labelled_total{rule=\"default\",state=\"failed\"} 1\n"));
        Assert.That(text, Does.Not.Contain("orchestration_test_labelled_total 0"), "no unlabelled zero beside labelled series");
        Assert.That(exporter.Counter("orchestration.test.labelled").Sum(s => s.Value), Is.EqualTo(6));
        var (exit, output) = await PromtoolCheckAsync(text);
        Assert.That(exit, Is.Zero, $"promtool check metrics:\n{output}\n---\n{text}");
    }

    private static async Task<(int Exit, string Output)> PromtoolCheckAsync(string text)
    {
        var psi = new ProcessStartInfo(await Promtool.EnsureAsync()) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("check");
        psi.ArgumentList.Add("metrics");
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
