namespace Orchestration.Storage;

/// <summary>The W3C trace context a run was created in (see <see cref="CreateRunParams.TraceParent"/>).</summary>
/// <param name="TraceParent">The <c>traceparent</c> value.</param>
/// <param name="TraceState">The <c>tracestate</c> value, or null.</param>
public sealed record RunTraceContext(string TraceParent, string? TraceState);
