using System.Collections.Concurrent;
using System.Diagnostics;
using Orchestration.Core.Tests.Runtime;
using Orchestration.Diagnostics;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Core.Tests.Diagnostics;

public sealed class TracingTests
{
    private const string TestSourceName = "Orchestration.Tests.Tracing";
    private static readonly ActivitySource Tests = new(TestSourceName);

    // Collects the finished spans of the engine's source and the test's; tests running alongside add spans of their
    // own runs, so every assertion picks spans by run id or trace id.
    private sealed class Spans : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<Activity> _stopped = new();
        private readonly ConcurrentDictionary<Guid, TaskCompletionSource<Activity>> _processFor = new();

        public Spans()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name is OrchestrationTracing.ActivitySourceName or TestSourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a =>
                {
                    _stopped.Enqueue(a);
                    if (a.OperationName.StartsWith("process ", StringComparison.Ordinal) && a.GetTagItem("orchestration.run.id") is string run)
                        _processFor.GetOrAdd(Guid.Parse(run), _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(a);
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IReadOnlyList<Activity> Stopped => _stopped.ToArray();

        public Task<Activity> ProcessOf(Guid runId) =>
            _processFor.GetOrAdd(runId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(30));

        public void Dispose() => _listener.Dispose();
    }

    [Test]
    public async Task Runtime_RunCreatedInsideTrace_HandlerSpanIsChildOfCreateSpanAndLinksTheClaim()
    {
        using var spans = new Spans();
        await using var h = await RuntimeHarness.StartAsync(b => b.AddTaskHandler<GreetHandler>("greet"));

        Guid runId;
        ActivityContext request;
        using (var incoming = Tests.StartActivity("POST /api/v1/runs", ActivityKind.Server)!)
        {
            incoming.TraceStateString = "vendor=1";
            request = incoming.Context;
            runId = await h.CreateRunAsync(TaskSpec.Create("greet", new Greeting("ada"), "g"));
        }

        var process = await spans.ProcessOf(runId);
        await h.Store.WaitForRunAsync(runId, RunStatus.Completed);

        var create = spans.Stopped.Single(a => a.OperationName == "create embedded" && a.TraceId == request.TraceId);
        Assert.That(create.ParentSpanId, Is.EqualTo(request.SpanId), "the create span is the request's child");
        Assert.That(create.Kind, Is.EqualTo(ActivityKind.Producer));
        Assert.That(create.GetTagItem("orchestration.run.id"), Is.EqualTo(runId.ToString()));
        Assert.That(create.GetTagItem("messaging.operation.type"), Is.EqualTo("create"));
        Assert.That(create.GetTagItem("messaging.destination.name"), Is.EqualTo("greet"));

        Assert.That(process.OperationName, Is.EqualTo("process greet"));
        Assert.That(process.Kind, Is.EqualTo(ActivityKind.Consumer));
        Assert.That(process.TraceId, Is.EqualTo(request.TraceId), "the handler joins the creator's trace");
        Assert.That(process.ParentSpanId, Is.EqualTo(create.SpanId), "the handler's span is the create span's child");
        Assert.That(process.TraceStateString, Is.EqualTo("vendor=1"));
        Assert.That(process.Status, Is.EqualTo(ActivityStatusCode.Unset));
        Assert.That(process.GetTagItem("messaging.system"), Is.EqualTo("orchestration"));
        Assert.That(process.GetTagItem("messaging.operation.type"), Is.EqualTo("process"));
        Assert.That(process.GetTagItem("messaging.destination.name"), Is.EqualTo("greet"));
        Assert.That(process.GetTagItem("orchestration.org"), Is.EqualTo(Org.DefaultId));
        var task = (await h.Client.Queries.GetRunTasksAsync(Org.DefaultId, runId, CancellationToken.None)).Single();
        Assert.That(process.GetTagItem("orchestration.task.id"), Is.EqualTo(task.Id.ToString()));

        var link = process.Links.Single();
        var receive = spans.Stopped.Single(a => a.OperationName == "receive" && a.SpanId == link.Context.SpanId);
        Assert.That(receive.GetTagItem("messaging.operation.type"), Is.EqualTo("receive"));
        Assert.That((int)receive.GetTagItem("messaging.batch.message_count")!, Is.GreaterThanOrEqualTo(1));
        Assert.That(receive.TraceId, Is.Not.EqualTo(request.TraceId), "a claim serves many traces, so it links rather than parents");
    }

    [Test]
    public async Task Runtime_RunCreatedOutsideTrace_HandlerSpanIsRootLinkedToClaim()
    {
        using var spans = new Spans();
        await using var h = await RuntimeHarness.StartAsync(b => b.AddTaskHandler<GreetHandler>("greet"));

        var runId = await h.CreateRunAsync(TaskSpec.Create("greet", new Greeting("bob"), "g"));
        var process = await spans.ProcessOf(runId);

        var create = spans.Stopped.Single(a => a.OperationName == "create embedded" && (string?)a.GetTagItem("orchestration.run.id") == runId.ToString());
        Assert.That(create.ParentSpanId, Is.EqualTo(default(ActivitySpanId)), "no request: the create span starts the trace");
        Assert.That(process.ParentSpanId, Is.EqualTo(create.SpanId), "its handler still continues it");
        Assert.That(process.Links.Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task Runtime_HandlerFails_ProcessSpanMarkedError()
    {
        using var spans = new Spans();
        await using var h = await RuntimeHarness.StartAsync(b => b.AddTaskHandler<PermanentFailureHandler>("doomed"));

        var runId = await h.CreateRunAsync(new TaskSpec { Name = "d", Type = "doomed" });
        var process = await spans.ProcessOf(runId);

        Assert.That(process.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(process.GetTagItem("error.type"), Is.Not.Null);
    }
}
