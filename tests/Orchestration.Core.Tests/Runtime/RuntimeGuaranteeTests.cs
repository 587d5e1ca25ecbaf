using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Execution;
using Orchestration.Hosting;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Core.Tests.Runtime;

/// <summary>Runtime promises of docs/engine.md: input binding, run deadlines in the maintenance pass.</summary>
public sealed class RuntimeGuaranteeTests
{
    private static readonly string Org = Domain.Org.DefaultId;

    [Test]
    public async Task Runtime_InputDoesNotBindToHandlerType_FailsForGoodWithoutCallingHandler()
    {
        await using var h = await RuntimeHarness.StartAsync(b => b.AddTaskHandler<GreetHandler>("greet"));
        var probe = h.Services.GetRequiredService<Probe>();

        // Greeting's Name is a string; a number cannot bind, and would not on any later attempt either.
        var runId = await h.CreateRunAsync(new TaskSpec { Name = "g", Type = "greet", InputJson = """{"name":{"first":"ada"}}""" });
        await h.Store.WaitForRunAsync(runId, RunStatus.Failed);

        var task = (await h.Client.Queries.GetRunTasksAsync(Org, runId, CancellationToken.None)).Single();
        var attempts = await h.Client.Queries.GetAttemptsAsync(Org, task.Id, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(probe.Started, Is.Empty, "the handler ran with input it cannot take");
            Assert.That(task.Status, Is.EqualTo(TaskRunStatus.Failed));
            Assert.That(attempts, Has.Count.EqualTo(1), "retried although no attempt could bind the input");
            Assert.That(JsonDefaults.ErrorMessage(task.ErrorJson), Does.Contain("input").IgnoreCase);
        });
    }

    [Test]
    public async Task MaintenancePass_RunDeadlinePassed_FailsRunAndCancelsRunningTask()
    {
        // The pass itself, driven directly: when passes run is covered by MaintenanceScheduleTests, and driving the
        // hosted loop with a fake clock would race its timer re-arming.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var store = new InMemoryStore(time);
        var service = new MaintenanceService(store, new AlwaysLeader(), new MaintenanceOptions(), new WorkerOptions(), time, NullLogger<MaintenanceService>.Instance);
        var client = new OrchestrationClient(store, store, Options.Create(new EngineOptions()), time);
        var run = (await client.CreateRunAsync(new RunSpec { Timeout = TimeSpan.FromMinutes(1), Tasks = [new TaskSpec { Name = "long", Type = "block" }] })).Run;
        var claimed = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "e", ExecutorIp = null, Types = [], Max = 1, LeaseDuration = TimeSpan.FromMinutes(5) }, CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.That(await service.RunOnceAsync(CancellationToken.None), Is.False, "a pass before the deadline did something");
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.That(await service.RunOnceAsync(CancellationToken.None), Is.True);

        var failed = await store.GetRunAsync(Org, run.Id, CancellationToken.None);
        Assert.That(failed!.Status, Is.EqualTo(RunStatus.Failed));
        Assert.That(JsonDefaults.ErrorMessage(failed.ErrorJson), Is.EqualTo("run timed out"));
        var heartbeat = await store.HeartbeatTasksAsync(new HeartbeatTasksParams([new TaskLease(claimed[0].Id, claimed[0].LeaseToken!.Value)], TimeSpan.FromMinutes(5)), CancellationToken.None);
        Assert.That(heartbeat[0].Outcome, Is.EqualTo(HeartbeatOutcome.Cancelled), "the running handler's executor is told");
    }
}
