using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestration.Engine;
using Orchestration.Hosting;
using Orchestration.Http;

namespace Orchestration.Dashboard.Tests.Infrastructure;

/// <summary>
/// A real host on 127.0.0.1 (Kestrel, a SQLite file, the API and the dashboard), with task types the tests steer:
/// <c>quick</c> completes at once; <c>flaky</c> fails its run's first attempt and completes later ones; <c>gate</c> runs until the test opens its run's gate (or the run is cancelled).
/// </summary>
internal sealed class DashboardHost : IAsyncDisposable
{
    public const string BootstrapKey = "dashboard-tests-bootstrap-key-0123456789abcdef";

    private readonly WebApplication _app;
    private readonly string _directory;

    private DashboardHost(WebApplication app, string directory, Uri address)
    {
        _app = app;
        _directory = directory;
        Address = address;
    }

    public Uri Address { get; }

    public IOrchestrationClient Client => _app.Services.GetRequiredService<IOrchestrationClient>();

    public IServiceProvider Services => _app.Services;

    public ConcurrentDictionary<Guid, TaskCompletionSource> Gates { get; } = new();

    /// <summary>Attempts the <c>flaky</c> handler has seen per run.</summary>
    public ConcurrentDictionary<Guid, int> FlakyAttempts { get; } = new();

    public string Url(string path) => new Uri(Address, path).ToString();

    public static async Task<DashboardHost> StartAsync(bool authEnabled = true)
    {
        var directory = Directory.CreateTempSubdirectory("orch-dashboard-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orchestration:Auth:BootstrapApiKey"] = BootstrapKey,
            ["Orchestration:Auth:Enabled"] = authEnabled ? "true" : "false",
            ["Orchestration:RateLimits:PerKey:Limit"] = "100000",
            ["Orchestration:RateLimits:PerIp:Limit"] = "100000",
            ["Orchestration:Events:PollMilliseconds"] = "100",
        });
        DashboardHost? host = null;
        // RunSearchTests search runs by their "customer" input field, which is indexed only when declared.
        builder.Services.AddOrchestration(o =>
            {
                o.UseSqlite($"Data Source={Path.Combine(directory, "orchestration.db")}");
                o.SearchableInputFields = ["customer"];
            })
            .AddTaskHandler("quick", (_, _) => Task.FromResult<string?>("{\"ok\":true}"))
            .AddTaskHandler("fail", (_, _) => throw new Orchestration.Execution.TaskFailedException("disk full", retryable: false))
            // Fails its run's first attempt for good and succeeds after that: what a retry from the dashboard is for.
            .AddTaskHandler("flaky", (context, _) => host!.FlakyAttempts.AddOrUpdate(context.RunId, 1, (_, n) => n + 1) == 1
                ? throw new Orchestration.Execution.TaskFailedException("first attempt fails", retryable: false)
                : Task.FromResult<string?>("{\"ok\":true}"))
            .AddTaskHandler("gate", async (context, ct) =>
            {
                await host!.Gates.GetOrAdd(context.RunId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(ct);
                return "{\"released\":true}";
            });
        builder.Services.AddOrchestrationHttp(builder.Configuration);
        var app = builder.Build();
        app.MapOrchestrationApi();
        app.MapOrchestrationDashboard();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host = new DashboardHost(app, directory, new Uri(address));
        return host;
    }

    public void Open(Guid runId) => Gates.GetOrAdd(runId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Creates a key of the default org with exactly these permissions through the admin API.</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(params string[] permissions)
    {
        using var http = Api(BootstrapKey);
        var response = await http.PostAsJsonAsync("/api/v1/admin/api-keys", new { name = "dashboard-test", permissions });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("id").GetString()!, body.RootElement.GetProperty("key").GetString()!);
    }

    public async Task RevokeKeyAsync(string id)
    {
        using var http = Api(BootstrapKey);
        (await http.DeleteAsync($"/api/v1/admin/api-keys/{id}")).EnsureSuccessStatusCode();
    }

    public HttpClient Api(string? key = null, bool redirects = false)
    {
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = redirects, UseCookies = false }) { BaseAddress = Address };
        if (key is not null) http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gate in Gates.Values) gate.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A SQLite side file still closing; the temp directory is the OS's to clean.
        }
    }
}
