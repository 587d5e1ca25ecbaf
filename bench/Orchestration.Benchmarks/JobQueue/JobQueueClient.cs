using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Orchestration.Benchmarks.JobQueue;

/// <summary>
/// A job queue API client written from the API reference, as executr's Go client speaks it: JSON bodies with a
/// Content-Length (Go's <c>bytes.Reader</c>), the whole answer read and decoded, 204 as the only success of
/// complete, 200 or 204 for a claim, anything else an error. One instance per executor, each with its own
/// <see cref="SocketsHttpHandler"/>, so each executor has its own keep-alive connection as separate executor processes
/// would. Not thread-safe by design: an executor makes one call at a time.
/// </summary>
internal sealed class JobQueueClient : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");
    private readonly HttpClient _http;

    public JobQueueClient(Uri baseAddress, string apiKey)
    {
        _http = new HttpClient(new SocketsHttpHandler(), disposeHandler: true) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    /// <summary><c>POST /api/v1/jobs/claim</c>: the claimed job's id, or null on 204 (nothing to claim).</summary>
    public async Task<Guid?> ClaimAsync(byte[] body, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync("/api/v1/jobs/claim", Json(body), cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent) return null;
        Expect(response, bytes, HttpStatusCode.OK, "claim");
        using var job = JsonDocument.Parse(bytes);
        return IdOf(job.RootElement);
    }

    /// <summary><c>PUT /api/v1/jobs/{id}/complete</c>; 204 or an error.</summary>
    public async Task CompleteAsync(Guid id, byte[] body, CancellationToken cancellationToken)
    {
        using var response = await _http.PutAsync($"/api/v1/jobs/{id}/complete", Json(body), cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        Expect(response, bytes, HttpStatusCode.NoContent, "complete");
    }

    /// <summary><c>GET /api/v1/jobs/{id}</c>, the answer read and parsed as a client would.</summary>
    public async Task GetJobAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"/api/v1/jobs/{id}", cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        Expect(response, bytes, HttpStatusCode.OK, "get");
        using var _ = JsonDocument.Parse(bytes);
    }

    /// <summary><c>POST /api/v1/jobs/bulk</c>: the created jobs' ids; any refused item is an error.</summary>
    public async Task<IReadOnlyList<Guid>> SubmitBulkAsync(byte[] body, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync("/api/v1/jobs/bulk", Json(body), cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        Expect(response, bytes, HttpStatusCode.Created, "bulk submit");
        using var doc = JsonDocument.Parse(bytes);
        var ids = new List<Guid>(doc.RootElement.GetArrayLength());
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            if (item.GetProperty("status").GetString() != "pending")
                throw new InvalidOperationException($"bulk submit refused an item: {item.GetRawText()}");
            ids.Add(IdOf(item));
        }

        return ids;
    }

    /// <summary><c>POST /api/v1/admin/api-keys</c> with this client's key: the new key.</summary>
    public async Task<string> CreateApiKeyAsync(string name, IReadOnlyList<string> permissions, int rateLimitPerMinute, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { name, permissions, rateLimit = new { limit = rateLimitPerMinute, windowSeconds = 60 } });
        using var response = await _http.PostAsync("/api/v1/admin/api-keys", Json(body), cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        Expect(response, bytes, HttpStatusCode.Created, "create API key");
        using var created = JsonDocument.Parse(bytes);
        return created.RootElement.GetProperty("key").GetString()!;
    }

    /// <summary><c>GET /api/v1/health</c> answered 200 (the host's start-up work is done).</summary>
    public async Task<bool> HealthyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync("/api/v1/health", cancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>The body executr's executor sends with every claim.</summary>
    public static byte[] ClaimBody(string executorId, string executorIp) =>
        JsonSerializer.SerializeToUtf8Bytes(new { executor_id = executorId, executor_ip = executorIp });

    /// <summary>The body executr's executor sends when a binary exited 0 with no output.</summary>
    public static byte[] CompleteBody(string executorId) =>
        JsonSerializer.SerializeToUtf8Bytes(new { executor_id = executorId, stdout = "", stderr = "", exit_code = 0 });

    /// <summary>A bulk body of <paramref name="count"/> identical no-op jobs (at most 1,000, the endpoint's cap).</summary>
    public static byte[] BulkBody(int count)
    {
        var item = JsonSerializer.Serialize(new
        {
            type = "bench-noop",
            binary_url = "https://example.com/bench-noop",
            // Never downloaded: the harness's executors report success without running anything.
            binary_sha256 = new string('a', 64),
            priority = "background",
        });
        var sb = new StringBuilder("[");
        for (var i = 0; i < count; i++) sb.Append(i == 0 ? "" : ",").Append(item);
        return Encoding.UTF8.GetBytes(sb.Append(']').ToString());
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonType;
        return content;
    }

    private static Guid IdOf(JsonElement job) => job.GetProperty("id").GetGuid();

    private static void Expect(HttpResponseMessage response, byte[] body, HttpStatusCode expected, string call)
    {
        if (response.StatusCode != expected)
            throw new InvalidOperationException($"{call} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)))}");
    }

    public void Dispose() => _http.Dispose();
}
