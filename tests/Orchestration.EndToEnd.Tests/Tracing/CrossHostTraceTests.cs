using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orchestration.Testing;

namespace Orchestration.EndToEnd.Tests.Tracing;

/// <summary>
/// A workflow created over HTTP on host A, inside the caller's trace, runs its handler on host B (another process on the
/// same SQLite file): B's handler span must continue the caller's trace as the child of A's create span. Each host
/// writes its spans to a file (<c>Orchestration:Diagnostics:TraceFile</c>), which is how the test sees another process's spans.
/// </summary>
public sealed class CrossHostTraceTests
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    [Test]
    public async Task CreateOverHttpOnHostA_HandlerRunsOnHostB_HandlerSpanIsChildOfHostACreateSpanInCallersTrace()
    {
        using var dir = new TempDirectory();
        var db = $"Data Source={Path.Combine(dir.Path, "trace.db")}";
        Dictionary<string, string> Settings(string traceFile, bool worker) => new()
        {
            ["Orchestration:Storage"] = "sqlite",
            ["ConnectionStrings:Orchestration"] = db,
            ["Orchestration:Auth:Enabled"] = "false",
            ["Orchestration:Worker:Enabled"] = worker ? "true" : "false",
            ["Orchestration:Worker:PollInterval"] = "00:00:00.200",
            ["Orchestration:Diagnostics:TraceFile"] = traceFile,
        };
        var fileA = Path.Combine(dir.Path, "a.jsonl");
        var fileB = Path.Combine(dir.Path, "b.jsonl");
        using var hostA = HostProcess.Start(Settings(fileA, worker: false), dir.Path);
        await hostA.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        using var hostB = HostProcess.Start(Settings(fileB, worker: true), dir.Path);
        await hostB.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        // The caller's own span, as an instrumented client would send it.
        var callerTrace = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        using var http = new HttpClient { BaseAddress = hostA.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/workflows")
        {
            Content = JsonContent.Create(new
            {
                name = "traced",
                tasks = new[] { new { name = "only", type = "generic", payload = new { duration_ms = 10, steps = 1 } } },
            }),
        };
        create.Headers.Add("traceparent", $"00-{callerTrace.ToHexString()}-{callerSpan.ToHexString()}-01");
        using var created = await http.SendAsync(create);
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        var runId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var process = await WaitForSpanAsync(fileB, s => s.Name == "process generic" && s.Tag("orchestration.run.id") == runId, hostB);
        var spansA = ReadSpans(fileA);
        var server = spansA.Single(s => s.Source == "Microsoft.AspNetCore" && s.TraceId == callerTrace.ToHexString());
        var createSpan = spansA.Single(s => s.Source == "Orchestration" && s.Name.StartsWith("create ", StringComparison.Ordinal) && s.Tag("orchestration.run.id") == runId);

        Assert.That(server.ParentSpanId, Is.EqualTo(callerSpan.ToHexString()), "host A's request span continues the caller's");
        Assert.That(createSpan.TraceId, Is.EqualTo(callerTrace.ToHexString()));
        Assert.That(createSpan.ParentSpanId, Is.EqualTo(server.SpanId), "the create span is the request's child");
        Assert.That(process.TraceId, Is.EqualTo(callerTrace.ToHexString()), "host B's handler span is in the caller's trace");
        Assert.That(process.ParentSpanId, Is.EqualTo(createSpan.SpanId), "and the child of host A's create span");
        Assert.That(process.Links, Has.Count.EqualTo(1), "linked to the claim that took the task");
        Assert.That(ReadSpans(fileB).Any(s => s.Name == "receive" && s.SpanId == process.Links[0]), Is.True, "the claim's span is host B's");
        Assert.That(spansA.Any(s => s.Name.StartsWith("process ", StringComparison.Ordinal)), Is.False, "host A runs no handlers");
    }

    private sealed record Span(string Name, string Source, string TraceId, string SpanId, string? ParentSpanId, IReadOnlyDictionary<string, string?> Tags, IReadOnlyList<string> Links)
    {
        public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value : null;
    }

    private static List<Span> ReadSpans(string path)
    {
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var spans = new List<Span>();
        while (reader.ReadLine() is { } line)
        {
            // A line the host is still writing is read again on the next poll.
            if (!line.EndsWith('}')) break;
            var e = JsonDocument.Parse(line).RootElement;
            spans.Add(new Span(
                e.GetProperty("name").GetString()!,
                e.GetProperty("source").GetString()!,
                e.GetProperty("trace_id").GetString()!,
                e.GetProperty("span_id").GetString()!,
                e.GetProperty("parent_span_id").GetString(),
                e.GetProperty("tags").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()),
                e.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("span_id").GetString()!).ToList()));
        }

        return spans;
    }

    // End-to-end across processes: polling with a deadline is the only way to observe another process.
    private static async Task<Span> WaitForSpanAsync(string path, Func<Span, bool> match, HostProcess host)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (ReadSpans(path).FirstOrDefault(match) is { } span) return span;
            if (host.HasExited) Assert.Fail($"the host exited:\n{host.Output}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"no such span within 60 s:\n{host.Output}");
            await Task.Delay(PollInterval);
        }
    }
}
