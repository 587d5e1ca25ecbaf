using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Execution;

/// <summary>
/// A store outage, however long and wherever it ends, never turns into a task failed for good: transient errors do not
/// count as the store refusing an item. (A database restart leaves stale pooled connections whose first use fails
/// after the server is back; that must not fail the task whose result happened to use one.)
/// </summary>
public sealed class CompletionWriterOutageTests
{
    [Test]
    public async Task RunAsync_TransientErrorsEndingAtAnyCall_EveryItemCompletes([Range(1, 14)] int failingCalls)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var inner = new InMemoryStore(time);
        var store = CompletionWriterTests.FaultyStore.Wrap(inner, out var faults);
        var client = new OrchestrationClient(inner, inner, Options.Create(new EngineOptions()), time);
        for (var i = 0; i < 4; i++) await client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = $"t{i}", Type = "work" }] });
        var tasks = await inner.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "e", ExecutorIp = null, Types = [], Max = 4, LeaseDuration = TimeSpan.FromMinutes(5) }, CancellationToken.None);
        faults.FailEveryCall = failingCalls;
        var results = new System.Collections.Concurrent.ConcurrentDictionary<Guid, TaskWriteResult?>();
        var writer = new CompletionWriter(store, new WorkerOptions(), time, NullLogger.Instance, (state, result) => results[(Guid)state] = result);
        var loop = Task.Run(writer.RunAsync);

        foreach (var t in tasks) writer.Complete(new TaskCompletion(new TaskLease(t.Id, t.LeaseToken!.Value), null), t.Id);
        writer.Close();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!loop.IsCompleted)
        {
            await Task.WhenAny(loop, Task.Delay(5, deadline.Token));
            deadline.Token.ThrowIfCancellationRequested();
            time.Advance(TimeSpan.FromSeconds(5));
        }

        await loop;
        Assert.That(faults.FailEveryCall, Is.Zero);
        Assert.That(tasks.Select(t => results[t.Id]!.Value.Status), Is.All.EqualTo(TaskRunStatus.Completed));
    }
}
