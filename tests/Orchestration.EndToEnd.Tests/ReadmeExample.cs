using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Hosting;

namespace MyApp;

public sealed record ResizeInput(string Image, int Width);
public sealed record ResizeOutput(string Thumbnail);

public sealed class ResizeHandler : ITaskHandler<ResizeInput, ResizeOutput>
{
    public Task<ResizeOutput> HandleAsync(ResizeInput input, TaskContext context, CancellationToken cancellationToken) =>
        Task.FromResult(new ResizeOutput($"{input.Image}@{input.Width}px"));
}

public static class Example
{
    public static async Task<string?> RunAsync(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddOrchestration(o => o.UseSqlite(connectionString))
            .AddTaskHandler<ResizeHandler>("resize");
        using var host = builder.Build();
        await host.StartAsync();

        var client = host.Services.GetRequiredService<IOrchestrationClient>();
        var created = await client.CreateRunAsync(new RunSpec
        {
            Tasks =
            [
                TaskSpec.Create("resize", new ResizeInput("cat.png", 64), name: "small"),
                TaskSpec.Create("resize", new ResizeInput("cat.png", 512), name: "large") with { DependsOn = ["small"] },
            ],
        });
        var run = await client.WaitForRunAsync(created.Run.OrgId, created.Run.Id);

        await host.StopAsync();
        return run?.Status.ToWire(); // "completed"
    }
}
