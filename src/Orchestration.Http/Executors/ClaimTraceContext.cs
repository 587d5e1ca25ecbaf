using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Storage;

namespace Orchestration.Http.Executors;

/// <summary>
/// Hands remote executors the trace context their tasks' runs were created in, so the span an executor starts for a
/// task can be the creator's child as an in-process handler's is: per task in the task protocol's claim answer, as
/// <c>traceparent</c>/<c>tracestate</c> response headers in the job queue's (docs/api/jobs.md).
/// </summary>
internal static class ClaimTraceContext
{
    public static async Task<IReadOnlyDictionary<Guid, RunTraceContext>> ReadAsync(IOrchestrationClient client, IReadOnlyList<LeasedTask> claimed, CancellationToken cancellationToken)
    {
        if (claimed.Count == 0) return new Dictionary<Guid, RunTraceContext>();
        var runs = claimed.Select(c => c.Task.RunId).Distinct().ToArray();
        return await client.Queries.GetRunTraceContextsAsync(runs, cancellationToken);
    }

    public static void AddHeaders(HttpResponse response, RunTraceContext? context)
    {
        if (context is null) return;
        response.Headers["traceparent"] = context.TraceParent;
        if (!string.IsNullOrEmpty(context.TraceState)) response.Headers["tracestate"] = context.TraceState;
    }
}
