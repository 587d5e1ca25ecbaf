using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Hosting;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Workflows;

/// <summary>
/// <c>MapWorkflowsApi</c> alone serves the family with its two shared paths, and mounted next to the Foreman API and the
/// job queue API the shared paths are mounted once (two routes for one path would answer 500 for ambiguity).
/// </summary>
public sealed class WorkflowsMountTests
{
    private const string Key = "workflows-mount-test-bootstrap-key-0123456789";

    [Test]
    public async Task MapWorkflowsApi_Alone_ServesWorkflowsSharedTaskAndJsonMetrics()
    {
        await using var app = await StartAsync(a => a.MapWorkflowsApi());
        using var client = Client(app);

        var (created, workflow, _) = await client.PostJsonAsync("/api/v1/workflows", new { name = "w", tasks = new[] { new { name = "a", type = "report" } } });
        var (task, _, _) = await client.GetJsonAsync($"/api/v1/tasks/{workflow!["tasks"]![0].Str("id")}");
        var metrics = await JsonMetricsAsync(client);
        var (runs, _, _) = await client.GetJsonAsync("/api/v1/runs");

        Assert.That((created, task, metrics, runs), Is.EqualTo((HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NotFound)));
    }

    [Test]
    public async Task MapEachFamily_OnOneBuilder_MountsTheSharedPathsOnce()
    {
        await using var app = await StartAsync(a =>
        {
            a.MapForemanApi();
            a.MapJobsApi();
            a.MapWorkflowsApi();
        });
        using var client = Client(app);

        var (_, workflow, _) = await client.PostJsonAsync("/api/v1/workflows", new { name = "w", tasks = new[] { new { name = "a", type = "report" } } });
        var (task, body, _) = await client.GetJsonAsync($"/api/v1/tasks/{workflow!["tasks"]![0].Str("id")}");
        var metrics = await JsonMetricsAsync(client);

        Assert.That((task, metrics), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
        Assert.That(body.Str("workflow_id"), Is.EqualTo(workflow.Str("id")));
    }

    private static async Task<WebApplication> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration["Orchestration:Auth:BootstrapApiKey"] = Key;
        builder.Services.AddOrchestration(o => o.UseInMemory());
        builder.Services.AddOrchestrationHttp(builder.Configuration);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static HttpClient Client(WebApplication app)
    {
        var client = app.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
        return client;
    }

    private static async Task<HttpStatusCode> JsonMetricsAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/metrics");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
