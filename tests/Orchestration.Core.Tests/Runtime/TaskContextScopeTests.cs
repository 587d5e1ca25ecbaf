using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;

namespace Orchestration.Core.Tests.Runtime;

// The attempt's DI scope is created on first use and its log scope is applied per write; both must still behave as an
// attempt-wide scope would for the handler that uses them.
public sealed class TaskContextScopeTests
{
    [Test]
    public async Task Runtime_DelegateHandlerResolvesScopedService_OneInstancePerAttemptDisposedAfterIt()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(ScopedThing First, ScopedThing Second)>();
        await using var h = await RuntimeHarness.StartAsync(
            b =>
            {
                b.Services.AddScoped<ScopedThing>();
                b.AddTaskHandler("scoped", (ctx, _) =>
                {
                    seen.Enqueue((ctx.Services.GetRequiredService<ScopedThing>(), ctx.Services.GetRequiredService<ScopedThing>()));
                    return Task.FromResult<string?>(null);
                });
            });

        var first = await h.CreateRunAsync(new TaskSpec { Type = "scoped" });
        var second = await h.CreateRunAsync(new TaskSpec { Type = "scoped" });
        await h.Store.WaitForRunAsync(first, RunStatus.Completed);
        await h.Store.WaitForRunAsync(second, RunStatus.Completed);
        await h.StopAsync();

        var attempts = seen.ToArray();
        Assert.That(attempts, Has.Length.EqualTo(2));
        Assert.Multiple(() =>
        {
            Assert.That(attempts.All(a => ReferenceEquals(a.First, a.Second)), "one instance within an attempt");
            Assert.That(attempts[0].First, Is.Not.SameAs(attempts[1].First), "a scope of its own per attempt");
            Assert.That(attempts.All(a => a.First.Disposed), "the scope ends with the attempt");
        });
    }

    [Test]
    public async Task Runtime_HandlerLogsThroughContext_RecordNamesRunTaskAndAttempt()
    {
        await using var h = await RuntimeHarness.StartAsync(b => b.AddTaskHandler("logs", (ctx, _) =>
        {
            ctx.Logger.LogWarning("working");
            return Task.FromResult<string?>(null);
        }));

        var runId = await h.CreateRunAsync(new TaskSpec { Type = "logs" });
        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);

        var record = h.Services.GetFakeLogCollector().GetSnapshot().Single(r => r.Message == "working");
        var scope = ScopeValues(record);
        var task = (await h.Client.Queries.GetRunTasksAsync(Org.DefaultId, runId, CancellationToken.None)).Single();
        Assert.That(scope, Is.EquivalentTo(new Dictionary<string, object> { ["RunId"] = runId, ["TaskId"] = task.Id, ["Attempt"] = 1 }));
    }

    [Test]
    public async Task Runtime_AmbientLogScopeOn_LoggerResolvedByTheHandlerNamesTheTask()
    {
        await using var h = await RuntimeHarness.StartAsync(
            b => b.AddTaskHandler("logs", (ctx, _) =>
            {
                ctx.Services.GetRequiredService<ILogger<TaskContextScopeTests>>().LogWarning("own logger");
                return Task.FromResult<string?>(null);
            }),
            o => o.Worker.AmbientLogScope = true);

        var runId = await h.CreateRunAsync(new TaskSpec { Type = "logs" });
        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);

        var record = h.Services.GetFakeLogCollector().GetSnapshot().Single(r => r.Message == "own logger");
        Assert.That(ScopeValues(record)["RunId"], Is.EqualTo(runId));
    }

    private static Dictionary<string, object> ScopeValues(FakeLogRecord record) =>
        record.Scopes.OfType<IEnumerable<KeyValuePair<string, object>>>().SelectMany(s => s).ToDictionary(p => p.Key, p => p.Value);

    private sealed class ScopedThing : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
