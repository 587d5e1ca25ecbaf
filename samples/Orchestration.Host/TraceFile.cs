using System.Diagnostics;
using System.Text.Json;
using Orchestration.Diagnostics;

namespace Orchestration.Host;

/// <summary>
/// Writes every finished span of the engine and of ASP.NET Core to a file, one JSON object a line, when
/// <c>Orchestration:Diagnostics:TraceFile</c> names one: a way to see a host's traces without a collector, and what the
/// end-to-end trace test reads from a host in another process. A deployment wires an exporter instead
/// (docs/observability.md).
/// </summary>
internal sealed class TraceFile : IDisposable
{
    private readonly Lock _gate = new();
    private readonly StreamWriter _writer;
    private readonly ActivityListener _listener;

    private TraceFile(string path)
    {
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is OrchestrationTracing.ActivitySourceName or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Write,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Starts writing when the setting is present; null otherwise.</summary>
    public static TraceFile? Start(IConfiguration configuration) =>
        configuration["Orchestration:Diagnostics:TraceFile"] is { Length: > 0 } path ? new TraceFile(path) : null;

    private void Write(Activity activity)
    {
        var line = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["name"] = activity.OperationName == "Microsoft.AspNetCore.Hosting.HttpRequestIn" ? activity.DisplayName : activity.OperationName,
            ["source"] = activity.Source.Name,
            ["kind"] = activity.Kind.ToString(),
            ["trace_id"] = activity.TraceId.ToHexString(),
            ["span_id"] = activity.SpanId.ToHexString(),
            ["parent_span_id"] = activity.ParentSpanId == default ? null : activity.ParentSpanId.ToHexString(),
            ["status"] = activity.Status.ToString(),
            ["tags"] = activity.TagObjects.ToDictionary(t => t.Key, t => t.Value?.ToString()),
            ["links"] = activity.Links.Select(l => new Dictionary<string, string> { ["trace_id"] = l.Context.TraceId.ToHexString(), ["span_id"] = l.Context.SpanId.ToHexString() }).ToList(),
        });
        lock (_gate) _writer.WriteLine(line);
    }

    public void Dispose()
    {
        _listener.Dispose();
        lock (_gate) _writer.Dispose();
    }
}
