using Orchestration.Execution.Exec;
using Orchestration.Hosting;
using Orchestration.Host;
using Orchestration.Http;

var builder = WebApplication.CreateBuilder(args);

var orchestration = builder.Services.AddOrchestration(o => HostStorage.Configure(o, builder.Configuration))
    .AddDemoHandlers();
// As in seed 003, exec jobs are run by remote executors that claim them; the host runs them itself only when asked.
if (builder.Configuration.GetValue<bool>("Orchestration:Exec:RunInHost")) orchestration.AddExecTaskHandler();
builder.Services.AddOrchestrationHttp(builder.Configuration);
builder.Services.AddOpenApi();

var app = builder.Build();

app.MapOpenApi();
app.MapOrchestrationApi();

app.Run();

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
