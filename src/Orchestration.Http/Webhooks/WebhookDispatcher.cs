using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Http.Webhooks;

/// <summary>
/// Turns events into webhook deliveries and sends them. Each pass (1) reads the events after the store's webhook cursor
/// with the commit-safe read, creates one delivery per matching endpoint and moves the cursor in the same store call
/// (a host that raced it writes nothing), then (2) claims due deliveries (first pending of their endpoint and run only,
/// held so no other host sends them) and sends them. 2xx is delivered; 410 disables the endpoint; anything else is
/// retried with exponential backoff and jitter until <see cref="WebhookDeliveryOptions.RetryHours"/> after creation.
/// Every host runs it: on Postgres the cursor's compare-and-set and the claim's SKIP LOCKED keep two hosts from
/// delivering the same event in normal operation. A host that dies after sending and before recording sends again
/// when the hold expires: delivery is at least once, and receivers deduplicate by <c>webhook-id</c>.
/// </summary>
internal sealed partial class WebhookDispatcher(
    IWebhookStore store,
    IOrchestrationQueries queries,
    IOptions<OrchestrationHttpOptions> options,
    WebhookTargetGuard guard,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private const int EventBatch = 500;
    private const int ClaimBatch = 32;
    private readonly HttpClient _http = new(guard.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly Lock _disabledGate = new();
    private readonly HashSet<string> _disabledConfigured = [];

    private WebhookDeliveryOptions Delivery => options.Value.WebhookDelivery;

    /// <summary>False after a pass that found no endpoint at all (configured or registered).</summary>
    internal bool HasEndpoints { get; private set; } = true;

    /// <summary>
    /// The wait after a pass without work. A host with no endpoint at all looks again only every
    /// <see cref="WebhookDeliveryOptions.IdleCheckSeconds"/>: polling every second would cost an idle Postgres deployment
    /// a transaction per second per host. Nothing is missed meanwhile: with no endpoint the event cursor does not move,
    /// and an endpoint found later receives every event since its creation.
    /// </summary>
    internal TimeSpan IdleWait => HasEndpoints
        ? TimeSpan.FromMilliseconds(Delivery.PollMilliseconds)
        : TimeSpan.FromMilliseconds(Math.Max(Delivery.PollMilliseconds, Delivery.IdleCheckSeconds * 1000L));

    /// <summary>The stable id of a configured endpoint: derived from its URL, so reordering the configuration keeps it.</summary>
    public static string ConfiguredId(WebhookEndpointOptions endpoint) =>
        "cfg_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(endpoint.Url + "\n" + endpoint.OrgId)))[..20];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Delivery.Enabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            bool busy;
            try
            {
                busy = await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(logger, ex);
                busy = false;
            }

            if (!busy)
            {
                try
                {
                    await Task.Delay(IdleWait, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One pass: new events to deliveries, then due deliveries sent. True when it found work (run again at once).</summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        var endpoints = await EndpointsAsync(cancellationToken);
        HasEndpoints = endpoints.Count > 0;
        // Deliveries left by deleted endpoints wait until some endpoint exists; they would only be marked failed.
        if (!HasEndpoints) return false;
        var enqueued = await EnqueueAsync(endpoints, cancellationToken);
        var sent = await SendDueAsync(endpoints, cancellationToken);
        return enqueued || sent;
    }

    private async Task<Dictionary<string, Target>> EndpointsAsync(CancellationToken cancellationToken)
    {
        var targets = new Dictionary<string, Target>(StringComparer.Ordinal);
        foreach (var c in options.Value.Webhooks)
        {
            var id = ConfiguredId(c);
            bool disabled;
            lock (_disabledGate) disabled = _disabledConfigured.Contains(id);
            targets[id] = new Target(id, c.OrgId, c.Url, c.Events, c.Secret, !disabled, Configured: true, Since: null);
        }

        foreach (var w in await store.ListWebhooksAsync(null, cancellationToken))
            targets[w.Id] = new Target(w.Id, w.OrgId, w.Url, w.Events, w.Secret, w.Enabled, Configured: false, Since: w.CreatedAt);
        return targets;
    }

    private async Task<bool> EnqueueAsync(Dictionary<string, Target> endpoints, CancellationToken cancellationToken)
    {
        // Without endpoints the events are not read at all, so a host that uses no webhooks pays nothing per event. The
        // cursor then lags; when an endpoint appears it catches up in large batches, and registered endpoints skip what
        // happened before they existed.
        var active = endpoints.Values.Where(e => e.Enabled).ToList();
        if (active.Count == 0) return false;
        var cursor = await store.GetWebhookCursorAsync(cancellationToken);
        var batch = await queries.ReadCommittedEventsAsync(cursor, EventBatch, null, cancellationToken);
        if (batch.Watermark <= cursor) return false;

        var deliveries = new List<NewWebhookDelivery>();
        var now = time.GetUtcNow();
        var runs = new Dictionary<Guid, Run?>();
        foreach (var e in batch.Events)
        {
            if (!active.Any(t => t.OrgId is null || t.OrgId == e.OrgId)) continue;
            if (!runs.TryGetValue(e.RunId, out var run)) runs[e.RunId] = run = await queries.GetRunAsync(e.OrgId, e.RunId, cancellationToken);
            var name = WebhookEvents.NameOf(e.Type, run?.Family);
            var wanting = active.Where(t => (t.OrgId is null || t.OrgId == e.OrgId) && (t.Since is null || e.CreatedAt >= t.Since) && WebhookEvents.Wants(t.Events, name)).ToList();
            if (wanting.Count == 0) continue;
            var task = e.TaskId is { } taskId ? await queries.GetTaskAsync(e.OrgId, taskId, cancellationToken) : null;
            var body = WebhookEvents.Body(e, name, run, task);
            foreach (var t in wanting)
            {
                deliveries.Add(new NewWebhookDelivery
                {
                    Id = "msg_" + Guid.CreateVersion7().ToString("N"), EndpointId = t.Id, OrgId = e.OrgId, RunId = e.RunId, EventSequence = e.Sequence,
                    EventType = name, PayloadJson = body, CreatedAt = now,
                });
            }
        }

        // False: another host moved the cursor first and wrote these deliveries; this pass simply found no work.
        return await store.EnqueueWebhookDeliveriesAsync(cursor, batch.Watermark, deliveries, cancellationToken);
    }

    private async Task<bool> SendDueAsync(Dictionary<string, Target> endpoints, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Delivery.TimeoutSeconds);
        // Held for longer than an attempt can take, so no other host picks it up while this one still sends.
        var due = await store.ClaimWebhookDeliveriesAsync(time.GetUtcNow(), ClaimBatch, timeout * 2 + TimeSpan.FromSeconds(30), cancellationToken);
        if (due.Count == 0) return false;
        var outcomes = await Task.WhenAll(due.Select(d => AttemptAsync(d, endpoints.GetValueOrDefault(d.EndpointId), timeout, cancellationToken)));
        await store.RecordWebhookAttemptsAsync(outcomes, cancellationToken);
        return true;
    }

    private async Task<WebhookAttemptOutcome> AttemptAsync(WebhookDelivery d, Target? target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (target is null) return new WebhookAttemptOutcome(d.Id, WebhookDeliveryStatus.Failed, null, null, "endpoint no longer exists", time.GetUtcNow());
        if (!target.Enabled) return new WebhookAttemptOutcome(d.Id, WebhookDeliveryStatus.Failed, null, null, "endpoint disabled", time.GetUtcNow());

        int? status = null;
        string? error;
        try
        {
            var body = Encoding.UTF8.GetBytes(d.PayloadJson);
            var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("webhook-id", d.Id);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Sign(WebhookSignature.KeyOf(target.Secret), d.Id, timestamp, body));
            request.Headers.UserAgent.ParseAdd("Orchestration-Webhooks/1");
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            status = (int)response.StatusCode;
            if (status is >= 200 and < 300) return new WebhookAttemptOutcome(d.Id, WebhookDeliveryStatus.Delivered, null, status, null, time.GetUtcNow());
            if (status == 410)
            {
                await DisableAsync(target, cancellationToken);
                return new WebhookAttemptOutcome(d.Id, WebhookDeliveryStatus.Failed, null, status, "receiver answered 410 Gone; endpoint disabled", time.GetUtcNow());
            }

            error = $"HTTP {status}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"timed out after {timeout.TotalSeconds:0} s";
        }
        catch (HttpRequestException ex)
        {
            error = ex.InnerException is Orchestration.Security.NetworkTargetRefusedException refused ? refused.Message : ex.Message;
        }

        var now = time.GetUtcNow();
        if (now >= d.CreatedAt + TimeSpan.FromHours(Delivery.RetryHours))
            return new WebhookAttemptOutcome(d.Id, WebhookDeliveryStatus.Failed, null, status, error + "; retries exhausted", now);
        return new WebhookAttemptOutcome(d.Id, WebhookDeliveryStatus.Pending, now + RetryDelay(d.Attempts + 1), status, error, now);
    }

    /// <summary>
    /// Exponential backoff with "equal jitter": half the doubled delay fixed, half random, so retries of many deliveries
    /// that failed together spread out instead of arriving at the receiver at once.
    /// </summary>
    internal TimeSpan RetryDelay(int attempt)
    {
        var initial = Delivery.InitialRetryDelaySeconds;
        var capped = Math.Min(Delivery.MaxRetryDelaySeconds, initial * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromSeconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }

    private async Task DisableAsync(Target target, CancellationToken cancellationToken)
    {
        LogEndpointGone(logger, target.Url);
        if (!target.Configured)
        {
            await store.DisableWebhookAsync(target.Id, "receiver answered 410 Gone", cancellationToken);
            return;
        }

        // A configured endpoint is not in the store; this host stops sending to it until restarted with its configuration.
        lock (_disabledGate) _disabledConfigured.Add(target.Id);
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    // Since: a registered endpoint gets the events from its creation on; a configured one all events after the cursor.
    private sealed record Target(string Id, string? OrgId, string Url, IReadOnlyList<string> Events, string Secret, bool Enabled, bool Configured, DateTimeOffset? Since);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook dispatcher pass failed; retrying after the poll interval")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook endpoint {Url} answered 410 Gone; it is disabled")]
    private static partial void LogEndpointGone(ILogger logger, string url);
}
