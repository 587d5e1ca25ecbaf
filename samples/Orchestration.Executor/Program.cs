using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestration.Exec;
using Orchestration.Executor;
using Orchestration.Hosting;

// A remote executor for the job queue API: claims exec jobs over HTTP with an API key, runs them with the engine's
// own exec handler (hash check, no shell, SSRF guard), heartbeats, reports, and stops on Ctrl+C.
var builder = Host.CreateApplicationBuilder(args);
var settings = builder.Configuration.GetSection("Executor").Get<ExecutorSettings>() ?? new ExecutorSettings();
if (settings.Validate() is { } problem)
{
    Console.Error.WriteLine(problem);
    return 2;
}

builder.Services.AddSingleton(settings);
// The local engine exists only to host the exec handler; claiming and state live on the server.
builder.Services.AddOrchestration(o =>
    {
        o.UseInMemory();
        o.Worker.Enabled = false;
        o.Maintenance.Enabled = false;
    })
    .AddExecTaskHandler(exec =>
    {
        foreach (var network in settings.AllowedNetworks) exec.AllowedNetworks.Add(IPNetwork.Parse(network));
        if (settings.WorkDirectory is { } dir)
        {
            exec.CacheDirectory = Path.Combine(dir, "cache");
            exec.WorkDirectoryRoot = Path.Combine(dir, "work");
        }
    });
builder.Services.AddHostedService<JobExecutorService>();
await builder.Build().RunAsync();
return 0;
