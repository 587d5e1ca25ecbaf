namespace Orchestration.Storage.InMemory;

// Webhook endpoints, deliveries and the dispatcher's cursor, under the store's one lock like every other write.
public sealed partial class InMemoryStore : IWebhookStore
{
    private readonly List<WebhookEndpoint> _webhooks = [];
    private readonly List<(WebhookDelivery Delivery, DateTimeOffset? HeldUntil)> _deliveries = [];
    private long _webhookCursor;

    /// <inheritdoc />
    public Task<bool> CreateWebhookAsync(WebhookEndpoint endpoint, int maxPerOrg, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        lock (_gate)
        {
            if (_webhooks.Count(w => w.OrgId == endpoint.OrgId) >= maxPerOrg) return Task.FromResult(false);
            _webhooks.Add(endpoint with { Events = endpoint.Events.ToList() });
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(string? orgId, CancellationToken cancellationToken)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<WebhookEndpoint>>(_webhooks.Where(w => orgId is null || w.OrgId == orgId).ToList());
    }

    /// <inheritdoc />
    public Task<bool> DeleteWebhookAsync(string orgId, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_webhooks.RemoveAll(w => w.OrgId == orgId && w.Id == id) == 0) return Task.FromResult(false);
            _deliveries.RemoveAll(d => d.Delivery.EndpointId == id);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<bool> DisableWebhookAsync(string id, string reason, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var i = _webhooks.FindIndex(w => w.Id == id);
            if (i < 0) return Task.FromResult(false);
            _webhooks[i] = _webhooks[i] with { Enabled = false, DisabledReason = reason };
            var now = _time.GetUtcNow();
            for (var d = 0; d < _deliveries.Count; d++)
            {
                if (_deliveries[d].Delivery.EndpointId == id && _deliveries[d].Delivery.Status == WebhookDeliveryStatus.Pending)
                    _deliveries[d] = (_deliveries[d].Delivery with { Status = WebhookDeliveryStatus.Failed, NextAttemptAt = null, LastError = reason, FinishedAt = now }, null);
            }

            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<long> GetWebhookCursorAsync(CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_webhookCursor);
    }

    /// <inheritdoc />
    public Task<bool> EnqueueWebhookDeliveriesAsync(long fromCursor, long toCursor, IReadOnlyList<NewWebhookDelivery> deliveries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        lock (_gate)
        {
            if (_webhookCursor != fromCursor) return Task.FromResult(false);
            foreach (var d in deliveries)
            {
                if (_deliveries.Any(x => x.Delivery.EndpointId == d.EndpointId && x.Delivery.EventSequence == d.EventSequence)) continue;
                _deliveries.Add((new WebhookDelivery
                {
                    Id = d.Id, EndpointId = d.EndpointId, OrgId = d.OrgId, RunId = d.RunId, EventSequence = d.EventSequence, EventType = d.EventType,
                    PayloadJson = d.PayloadJson, Status = WebhookDeliveryStatus.Pending, NextAttemptAt = d.CreatedAt, CreatedAt = d.CreatedAt,
                }, null));
            }

            _webhookCursor = Math.Max(_webhookCursor, toCursor);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<WebhookDelivery>> ClaimWebhookDeliveriesAsync(DateTimeOffset now, int max, TimeSpan hold, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var heads = _deliveries
                .Select((x, i) => (x.Delivery, x.HeldUntil, Index: i))
                .Where(x => x.Delivery.Status == WebhookDeliveryStatus.Pending)
                .GroupBy(x => (x.Delivery.EndpointId, x.Delivery.RunId))
                .Select(g => g.MinBy(x => x.Delivery.EventSequence))
                .Where(x => x.Delivery.NextAttemptAt <= now && (x.HeldUntil is null || x.HeldUntil <= now))
                .OrderBy(x => x.Delivery.EventSequence)
                .Take(Math.Max(0, max))
                .ToList();
            foreach (var h in heads) _deliveries[h.Index] = (h.Delivery, now + hold);
            return Task.FromResult<IReadOnlyList<WebhookDelivery>>(heads.Select(h => h.Delivery).ToList());
        }
    }

    /// <inheritdoc />
    public Task RecordWebhookAttemptsAsync(IReadOnlyList<WebhookAttemptOutcome> outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        lock (_gate)
        {
            foreach (var o in outcomes)
            {
                var i = _deliveries.FindIndex(x => x.Delivery.Id == o.DeliveryId);
                if (i < 0 || _deliveries[i].Delivery.Status != WebhookDeliveryStatus.Pending) continue;
                var d = _deliveries[i].Delivery;
                _deliveries[i] = (d with
                {
                    Status = o.Status,
                    Attempts = d.Attempts + 1,
                    NextAttemptAt = o.Status == WebhookDeliveryStatus.Pending ? o.NextAttemptAt : null,
                    LastStatusCode = o.StatusCode,
                    LastError = o.Error,
                    FinishedAt = o.Status == WebhookDeliveryStatus.Pending ? null : o.At,
                }, null);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<WebhookDelivery>> ListWebhookDeliveriesAsync(string? orgId, string endpointId, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<WebhookDelivery>>(_deliveries
                .Select(x => x.Delivery)
                .Where(d => d.EndpointId == endpointId && (orgId is null || d.OrgId == orgId))
                .OrderByDescending(d => d.EventSequence)
                .Take(Math.Max(0, limit))
                .ToList());
        }
    }
}
