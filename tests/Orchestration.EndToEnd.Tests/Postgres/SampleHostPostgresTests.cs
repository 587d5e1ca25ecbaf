using Microsoft.Extensions.DependencyInjection;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Hosting;
using Orchestration.Testing;

namespace Orchestration.EndToEnd.Tests.Postgres;

public sealed class SampleHostPostgresTests
{
    [Test]
    public async Task SampleHost_StoragePostgres_HealthyAndRunsWork()
    {
        var server = await PostgresServer.Shared;
        var connectionString = await server.CreateDatabaseAsync();
        var settings = new Dictionary<string, string>
        {
            ["Orchestration:Storage"] = "postgres",
            ["ConnectionStrings:Orchestration"] = connectionString,
            ["Orchestration:Auth:Enabled"] = "false",
            ["Orchestration:Worker:PollInterval"] = "00:00:00.500",
        };
        var work = Directory.CreateTempSubdirectory("orch-host-pg-");
        try
        {
            using var host = HostProcess.Start(settings, work.FullName);
            await host.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            await using var services = new ServiceCollection().AddOrchestration(o => o.UsePostgres(connectionString)).Services.BuildServiceProvider();
            var client = services.GetRequiredService<IOrchestrationClient>();

            var run = (await client.CreateRunAsync(new RunSpec
            {
                Tasks = [new TaskSpec { Name = "step", Type = "generic", InputJson = """{"duration_ms":10,"steps":1}""" }],
            })).Run;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            Run? current;
            do
            {
                // End-to-end across processes: polling with a deadline.
                await Task.Delay(100);
                current = await client.Queries.GetRunAsync(Org.DefaultId, run.Id, CancellationToken.None);
            }
            while (current is { Status: not (RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled) } && DateTime.UtcNow < deadline && !host.HasExited);

            Assert.That(current?.Status, Is.EqualTo(RunStatus.Completed), host.Output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
