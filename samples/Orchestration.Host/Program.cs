using Orchestration.Hosting;
using Orchestration.Host;
using Orchestration.Http;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddOrchestration(o => HostStorage.Configure(o, builder.Configuration))
    .AddDemoHandlers();
builder.Services.AddOrchestrationHttp(builder.Configuration);
builder.Services.AddOpenApi();

var app = builder.Build();

app.MapOpenApi();
app.MapOrchestrationApi();

app.Run();

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
