using Orchestration.Hosting;
using Orchestration.Host;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddOrchestration(o => HostStorage.Configure(o, builder.Configuration))
    .AddDemoHandlers();

var app = builder.Build();

app.MapGet("/api/v1/health", HostHealth.CheckAsync);
app.MapGet("/health", HostHealth.CheckAsync);

app.Run();

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
