using System.Diagnostics;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Diagnostics;

/// <summary>
/// The engine's spans on the <c>Orchestration</c> activity source, named after OpenTelemetry's messaging conventions:
/// a run's creation is a <c>create</c> span, a claim a <c>receive</c> span, a handler's attempt a <c>process</c> span
/// and the write of its result a <c>settle</c> span (docs/observability.md lists them with their attributes). Only the
/// source's name is public, so hosts can subscribe (<c>AddSource</c>) and only the engine starts spans.
/// </summary>
public static class OrchestrationTracing
{
    /// <summary>The activity source's name, for <c>ActivityListener</c> or OpenTelemetry's <c>AddSource</c>.</summary>
    public const string ActivitySourceName = "Orchestration";

    internal static readonly ActivitySource Source = new(ActivitySourceName, typeof(OrchestrationTracing).Assembly.GetName().Version?.ToString());

    internal const string System = "messaging.system";
    internal const string SystemName = "orchestration";
    internal const string OperationType = "messaging.operation.type";
    internal const string OperationName = "messaging.operation.name";
    internal const string Destination = "messaging.destination.name";
    internal const string MessageId = "messaging.message.id";
    internal const string BatchCount = "messaging.batch.message_count";
    internal const string ClientId = "messaging.client.id";
    internal const string RunId = "orchestration.run.id";
    internal const string TaskId = "orchestration.task.id";
    internal const string Org = "orchestration.org";
    internal const string Family = "orchestration.family";
    internal const string Attempt = "orchestration.task.attempt";
    internal const string ErrorType = "error.type";

    /// <summary>
    /// The context to store with a run created now: the current activity's, when there is one that is recorded (a
    /// trace nobody samples would only give handlers a parent that no backend has).
    /// </summary>
    internal static (string? TraceParent, string? TraceState) CurrentContext()
    {
        var current = Activity.Current;
        if (current is null || !current.Recorded || current.IdFormat != ActivityIdFormat.W3C) return (null, null);
        return (current.Id, current.TraceStateString);
    }

    /// <summary>The span around creating runs; null when nobody listens.</summary>
    internal static Activity? StartCreate(IReadOnlyList<Engine.RunSpec> specs)
    {
        if (!Source.HasListeners() || specs.Count == 0) return null;
        var first = specs[0];
        var activity = Source.StartActivity("create " + first.Family, ActivityKind.Producer);
        if (activity is not { IsAllDataRequested: true }) return activity;
        activity.SetTag(System, SystemName);
        activity.SetTag(OperationType, "create");
        activity.SetTag(OperationName, "create");
        activity.SetTag(Family, first.Family);
        activity.SetTag(Org, first.OrgId);
        if (specs.Count > 1) activity.SetTag(BatchCount, specs.Count);
        // A run's tasks usually share one type; when they do it names the destination as a queue's name would.
        if (first.Tasks.Count > 0 && first.Tasks.All(t => t.Type == first.Tasks[0].Type) && specs.All(s => s.Tasks.All(t => t.Type == first.Tasks[0].Type)))
            activity.SetTag(Destination, first.Tasks[0].Type);
        return activity;
    }

    /// <summary>Adds what the create decided (the run id of a single create) to its span.</summary>
    internal static void Created(Activity? activity, IReadOnlyList<CreateRunResult> results)
    {
        if (activity is not { IsAllDataRequested: true }) return;
        if (results.Count == 1)
        {
            activity.SetTag(RunId, results[0].Run.Id.ToString());
            activity.SetTag(MessageId, results[0].Run.Id.ToString());
        }
    }

    /// <summary>
    /// The span of a claim that returned tasks, started at <paramref name="startedAt"/> and ended at once: a claim that
    /// found nothing leaves no span, or an idle host would trace every safety poll. Null when nobody listens.
    /// </summary>
    internal static Activity? RecordReceive(DateTimeOffset startedAt, string executorId, int count)
    {
        var activity = Source.StartActivity("receive", ActivityKind.Client, default(ActivityContext), startTime: startedAt);
        if (activity is null) return null;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(System, SystemName);
            activity.SetTag(OperationType, "receive");
            activity.SetTag(OperationName, "claim");
            activity.SetTag(ClientId, executorId);
            activity.SetTag(BatchCount, count);
        }

        activity.Stop();
        return activity;
    }

    /// <summary>Parses a stored context; default when it is missing or malformed.</summary>
    internal static ActivityContext Parse(RunTraceContext? stored) =>
        stored is not null && ActivityContext.TryParse(stored.TraceParent, stored.TraceState, isRemote: true, out var context) ? context : default;

    /// <summary>
    /// The span of one handler attempt: a child of the run's creator (<paramref name="parent"/>, default for a root) and
    /// linked to the claim that took it. Null when nobody listens.
    /// </summary>
    internal static Activity? StartProcess(TaskRun task, ActivityContext parent, ActivityContext claim)
    {
        if (!Source.HasListeners()) return null;
        // The worker's own ambient activity (if any) is not the run's: without a stored parent the span is a root.
        if (parent == default) Activity.Current = null;
        ActivityLink[]? links = claim == default ? null : [new ActivityLink(claim)];
        var activity = Source.StartActivity("process " + task.Type, ActivityKind.Consumer, parent, links: links);
        if (activity is not { IsAllDataRequested: true }) return activity;
        activity.SetTag(System, SystemName);
        activity.SetTag(OperationType, "process");
        activity.SetTag(OperationName, "process");
        activity.SetTag(Destination, task.Type);
        activity.SetTag(MessageId, task.Id.ToString());
        activity.SetTag(RunId, task.RunId.ToString());
        activity.SetTag(TaskId, task.Id.ToString());
        activity.SetTag(Org, task.OrgId);
        activity.SetTag(Attempt, task.Attempt);
        return activity;
    }

    /// <summary>Marks a handler's span failed, naming the kind of failure as <c>error.type</c> asks.</summary>
    internal static void Failed(Activity? activity, string errorType, string? description)
    {
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, description);
        if (activity.IsAllDataRequested) activity.SetTag(ErrorType, errorType);
    }

    /// <summary>The span around writing a batch of results (<paramref name="operation"/> is complete or fail); null when nobody listens.</summary>
    internal static Activity? StartSettle(string operation, int count)
    {
        if (!Source.HasListeners()) return null;
        var activity = Source.StartActivity("settle", ActivityKind.Client, default(ActivityContext));
        if (activity is not { IsAllDataRequested: true }) return activity;
        activity.SetTag(System, SystemName);
        activity.SetTag(OperationType, "settle");
        activity.SetTag(OperationName, operation);
        activity.SetTag(BatchCount, count);
        return activity;
    }
}
