namespace Orchestration.Storage;

/// <summary>
/// Webhook endpoints of each org, the outgoing deliveries, and the webhook dispatcher's cursor in the event sequence.
/// Every operation is atomic. Deliveries of one endpoint and run go out in event order: a pending one holds back the
/// later ones of the same endpoint and run.
/// </summary>
public interface IWebhookStore
{
    /// <summary>Stores a new endpoint of an org; false (nothing written) when the org already has <paramref name="maxPerOrg"/>.</summary>
    Task<bool> CreateWebhookAsync(WebhookEndpoint endpoint, int maxPerOrg, CancellationToken cancellationToken);

    /// <summary>The org's endpoints, oldest first; every org's when <paramref name="orgId"/> is null.</summary>
    Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(string? orgId, CancellationToken cancellationToken);

    /// <summary>Deletes an endpoint of the org and its deliveries; false when the org has no such endpoint.</summary>
    Task<bool> DeleteWebhookAsync(string orgId, string id, CancellationToken cancellationToken);

    /// <summary>Turns an endpoint off (its receiver answered 410 Gone); its pending deliveries are given up. False when not found.</summary>
    Task<bool> DisableWebhookAsync(string id, string reason, CancellationToken cancellationToken);

    /// <summary>The event sequence up to which deliveries have been created (0 at first).</summary>
    Task<long> GetWebhookCursorAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes the deliveries created for events after <paramref name="fromCursor"/> up to <paramref name="toCursor"/> and
    /// moves the cursor there, both or neither. False (nothing written) when the cursor is no longer at
    /// <paramref name="fromCursor"/>: another host got there first. A delivery of an endpoint and event that exists already
    /// is not written again.
    /// </summary>
    Task<bool> EnqueueWebhookDeliveriesAsync(long fromCursor, long toCursor, IReadOnlyList<NewWebhookDelivery> deliveries, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="max"/> pending deliveries that are due at <paramref name="now"/>, not held by another
    /// claim, and first among the pending ones of their endpoint and run; each is held until <paramref name="now"/> plus
    /// <paramref name="hold"/>, so no other host sends it meanwhile. Oldest event first.
    /// </summary>
    Task<IReadOnlyList<WebhookDelivery>> ClaimWebhookDeliveriesAsync(DateTimeOffset now, int max, TimeSpan hold, CancellationToken cancellationToken);

    /// <summary>Records the outcome of one attempt per delivery (counting it) and releases the claim; applies only to pending deliveries.</summary>
    Task RecordWebhookAttemptsAsync(IReadOnlyList<WebhookAttemptOutcome> outcomes, CancellationToken cancellationToken);

    /// <summary>An endpoint's most recent deliveries, newest first; every org's when <paramref name="orgId"/> is null.</summary>
    Task<IReadOnlyList<WebhookDelivery>> ListWebhookDeliveriesAsync(string? orgId, string endpointId, int limit, CancellationToken cancellationToken);
}

/// <summary>A webhook endpoint.</summary>
public sealed record WebhookEndpoint
{
    /// <summary>Id (<c>wh_…</c>).</summary>
    public required string Id { get; init; }
    /// <summary>Owning org.</summary>
    public required string OrgId { get; init; }
    /// <summary>Where deliveries are POSTed.</summary>
    public required string Url { get; init; }
    /// <summary>Event names delivered to it.</summary>
    public required IReadOnlyList<string> Events { get; init; }
    /// <summary>The signing secret (<c>whsec_&lt;base64&gt;</c> or a plain string).</summary>
    public required string Secret { get; init; }
    /// <summary>False once the receiver answered 410 Gone.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>Why it was disabled.</summary>
    public string? DisabledReason { get; init; }
    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A delivery to create: one event for one endpoint.</summary>
public sealed record NewWebhookDelivery
{
    /// <summary>Id, sent as <c>webhook-id</c> on every attempt (<c>msg_…</c>).</summary>
    public required string Id { get; init; }
    /// <summary>The endpoint (a stored one's id, or a configured one's).</summary>
    public required string EndpointId { get; init; }
    /// <summary>The event's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The event's run: deliveries of one endpoint and run go out in order.</summary>
    public required Guid RunId { get; init; }
    /// <summary>The event's sequence.</summary>
    public required long EventSequence { get; init; }
    /// <summary>The event name as delivered (<c>workflow.completed</c>, <c>run.failed</c>, …).</summary>
    public required string EventType { get; init; }
    /// <summary>The JSON body sent.</summary>
    public required string PayloadJson { get; init; }
    /// <summary>When it was created; the first attempt is due then.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A delivery and its state.</summary>
public sealed record WebhookDelivery
{
    /// <summary>Id (<c>webhook-id</c>).</summary>
    public required string Id { get; init; }
    /// <summary>The endpoint.</summary>
    public required string EndpointId { get; init; }
    /// <summary>The event's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The event's run.</summary>
    public required Guid RunId { get; init; }
    /// <summary>The event's sequence.</summary>
    public required long EventSequence { get; init; }
    /// <summary>The event name as delivered.</summary>
    public required string EventType { get; init; }
    /// <summary>The JSON body.</summary>
    public required string PayloadJson { get; init; }
    /// <summary>One of <see cref="WebhookDeliveryStatus"/>.</summary>
    public required string Status { get; init; }
    /// <summary>Attempts made.</summary>
    public int Attempts { get; init; }
    /// <summary>When the next attempt is due (pending deliveries).</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }
    /// <summary>The last attempt's HTTP status, when one came back.</summary>
    public int? LastStatusCode { get; init; }
    /// <summary>The last attempt's error.</summary>
    public string? LastError { get; init; }
    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it was delivered or given up.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>Values of <see cref="WebhookDelivery.Status"/>.</summary>
public static class WebhookDeliveryStatus
{
    /// <summary>Not delivered yet; retried until its deadline.</summary>
    public const string Pending = "pending";
    /// <summary>The receiver answered 2xx.</summary>
    public const string Delivered = "delivered";
    /// <summary>Given up: retries exhausted, or the endpoint disabled.</summary>
    public const string Failed = "failed";
}

/// <summary>One attempt's outcome.</summary>
/// <param name="DeliveryId">The delivery.</param>
/// <param name="Status">The delivery's status after it (<see cref="WebhookDeliveryStatus"/>).</param>
/// <param name="NextAttemptAt">When to try again, for a pending delivery.</param>
/// <param name="StatusCode">The HTTP status, when one came back.</param>
/// <param name="Error">What went wrong, or null.</param>
/// <param name="At">When the attempt ended.</param>
public sealed record WebhookAttemptOutcome(string DeliveryId, string Status, DateTimeOffset? NextAttemptAt, int? StatusCode, string? Error, DateTimeOffset At);
