using Orchestration.Exec;
using Orchestration.Hosting;
using Orchestration.Host;
using Orchestration.Http;
using Orchestration.Http.Platform.Auth;

var builder = WebApplication.CreateBuilder(args);
// Spans as JSON lines in a file, when Orchestration:Diagnostics:TraceFile names one (docs/observability.md).
using var traceFile = TraceFile.Start(builder.Configuration);
// The server's name and version help only whoever is looking for a known hole.
builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);

var orchestration = builder.Services.AddOrchestration(o => HostStorage.Configure(o, builder.Configuration));
// Simulated etl, ml_training, ci and generic handlers so FlowCtl's examples run on a fresh host; a deployment with its
// own handlers for these types turns them off (Orchestration:DemoHandlers=false) and registers its own.
if (builder.Configuration.GetValue("Orchestration:DemoHandlers", true)) orchestration.AddDemoHandlers();
// As in the job queue API reference, exec jobs are run by remote executors that claim them; the host runs them itself only when asked.
if (builder.Configuration.GetValue<bool>("Orchestration:Exec:RunInHost")) orchestration.AddExecTaskHandler();
// Formicary's artifacts: content under Orchestration:Artifacts:RootPath ("artifacts" in the working directory by default).
orchestration.AddArtifacts(o => builder.Configuration.GetSection("Orchestration:Artifacts").Bind(o));
// This host serves nothing but the API, so every path answers errors in the API's JSON shape.
// Orchestration:Banner=false: no start-up banner, and a key generated for a fresh database is logged instead.
var banner = builder.Configuration.GetValue("Orchestration:Banner", true) ? new StartupBanner() : null;
builder.Services.AddOrchestrationHttp(builder.Configuration, o =>
{
    o.Http.JsonErrorsOnAllPaths = builder.Configuration.GetValue("Orchestration:Http:JsonErrorsOnAllPaths", true);
    // A key generated for a fresh database goes into the banner below rather than into the log.
    if (banner is not null) o.Auth.BootstrapKeyCreated = key => banner.GeneratedKey = key;
});
builder.Services.AddOpenApi();

var app = builder.Build();

// Public by default, like the API reference it is; Orchestration:OpenApi:RequireAuth=true asks for any valid key.
if (app.Configuration.GetValue<bool>("Orchestration:OpenApi:RequireAuth")) app.MapOrchestrationGroup("").MapOpenApi().RequireAuthenticatedCaller();
else app.MapOpenApi();
app.MapOrchestrationApi();
// The dashboard, on by default; Orchestration:Dashboard:Enabled=false leaves it out.
var dashboard = app.Configuration.GetValue("Orchestration:Dashboard:Enabled", true);
if (dashboard) app.MapOrchestrationDashboard();
if (banner is not null)
{
    app.Lifetime.ApplicationStarted.Register(() =>
        Console.WriteLine(banner.Render(app.Configuration, app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>(), dashboardPath: dashboard ? "/dashboard" : null)));
}

try
{
    app.Run();
    return 0;
}
catch (Exception e) when (e is not OperationCanceledException)
{
    // A bad setting or an unreachable database: one clear line and exit code 1, not an unhandled-exception abort (134).
    Console.Error.WriteLine($"Orchestration host failed to start: {Describe(e)}");
    return 1;
}

static string Describe(Exception e) =>
    e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{e.Message} ({inner.Message})" : e.Message;

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
