using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Hosting;

namespace Orchestration.Storage.Tests.Sqlite;

/// <summary>The real in-process worker over a SQLite file: claims, batched completions, promotion and finalisation together.</summary>
public sealed class SqliteWorkerTests
{
    [Test]
    public async Task Worker_FanOutAndJoinGraph_RunCompletesAndEveryTaskRanOnce()
    {
        using var db = new TempDatabase();
        var ran = new ConcurrentBag<string>();
        using var host = new HostBuilder().ConfigureServices(services =>
        {
            services.AddOrchestration(o =>
            {
                o.UseSqlite(db.ConnectionString);
                o.Maintenance.Enabled = false;
            }).AddTaskHandler("work", (context, _) =>
            {
                ran.Add(context.Task.Name);
                return Task.FromResult<string?>("{}");
            });
        }).Build();
        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredService<IOrchestrationClient>();
            var fan = Enumerable.Range(0, 200).Select(i => new TaskSpec { Name = $"leaf-{i}", Type = "work", DependsOn = ["root"] }).ToList();
            var tasks = new List<TaskSpec> { new() { Name = "root", Type = "work" } };
            tasks.AddRange(fan);
            tasks.Add(new TaskSpec { Name = "join", Type = "work", DependsOn = fan.Select(f => f.Name!).ToArray() });
            var created = await client.CreateRunAsync(new RunSpec { OrgId = Org.DefaultId, Tasks = tasks });

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var run = await client.WaitForRunAsync(Org.DefaultId, created.Run.Id, cancellationToken: timeout.Token);

            Assert.That(run!.Status, Is.EqualTo(RunStatus.Completed));
            Assert.That(run.CompletedTasks, Is.EqualTo(202));
            Assert.That(ran, Has.Count.EqualTo(202));
            Assert.That(ran.Distinct().Count(), Is.EqualTo(202));
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
