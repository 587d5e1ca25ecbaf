using System.Text.Json;
using Dapper;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Webhook endpoints, deliveries and the dispatcher's cursor. Few rows per call, so Dapper's convenience wins here; the
// statements stay with this file because no other part of the store uses these tables.
public sealed partial class SqliteStore : IWebhookStore
{
    private const string EndpointColumns = "id AS Id, org_id AS OrgId, url AS Url, events AS Events, secret AS Secret, enabled AS Enabled, disabled_reason AS DisabledReason, created_at AS CreatedAt";
    private const string DeliveryColumns = """
        id AS Id, endpoint_id AS EndpointId, org_id AS OrgId, run_id AS RunId, event_seq AS EventSequence, event_type AS EventType,
        payload_json AS PayloadJson, status AS Status, attempts AS Attempts, next_attempt_at AS NextAttemptAt,
        last_status_code AS LastStatusCode, last_error AS LastError, created_at AS CreatedAt, finished_at AS FinishedAt
        """;

    /// <inheritdoc />
    public Task<bool> CreateWebhookAsync(WebhookEndpoint endpoint, int maxPerOrg, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return WriteAsync(tx => tx.Db.Connection.Execute("""
            INSERT INTO webhooks (id, org_id, url, events, secret, enabled, created_at)
            SELECT @id, @orgId, @url, @events, @secret, 1, @createdAt
            WHERE (SELECT count(*) FROM webhooks WHERE org_id = @orgId) < @maxPerOrg
            """, new
        {
            id = endpoint.Id,
            orgId = endpoint.OrgId,
            url = endpoint.Url,
            events = JsonSerializer.Serialize(endpoint.Events),
            secret = endpoint.Secret,
            createdAt = endpoint.CreatedAt.UtcTicks,
            maxPerOrg,
        }) == 1, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(string? orgId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<WebhookEndpoint>>(db => db.Connection.Query<EndpointRow>(
                $"SELECT {EndpointColumns} FROM webhooks WHERE @orgId IS NULL OR org_id = @orgId ORDER BY created_at, id", new { orgId })
            .Select(r => r.ToEndpoint()).ToList(), cancellationToken);

    /// <inheritdoc />
    public Task<bool> DeleteWebhookAsync(string orgId, string id, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            if (tx.Db.Connection.Execute("DELETE FROM webhooks WHERE org_id = @orgId AND id = @id", new { orgId, id }) == 0) return false;
            tx.Db.Connection.Execute("DELETE FROM webhook_deliveries WHERE endpoint_id = @id", new { id });
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> DisableWebhookAsync(string id, string reason, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcTicks;
        return WriteAsync(tx =>
        {
            if (tx.Db.Connection.Execute("UPDATE webhooks SET enabled = 0, disabled_reason = @reason WHERE id = @id", new { id, reason }) == 0) return false;
            tx.Db.Connection.Execute("""
                UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, held_until = NULL, last_error = @reason, finished_at = @now
                WHERE endpoint_id = @id AND status = 'pending'
                """, new { id, reason, now });
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<long> GetWebhookCursorAsync(CancellationToken cancellationToken) =>
        ReadAsync(db => db.Connection.ExecuteScalar<long>("SELECT seq FROM webhook_cursor WHERE id = 1"), cancellationToken);

    /// <inheritdoc />
    public Task<bool> EnqueueWebhookDeliveriesAsync(long fromCursor, long toCursor, IReadOnlyList<NewWebhookDelivery> deliveries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        return WriteAsync(tx =>
        {
            var c = tx.Db.Connection;
            if (c.Execute("UPDATE webhook_cursor SET seq = max(seq, @toCursor) WHERE id = 1 AND seq = @fromCursor", new { fromCursor, toCursor }) == 0) return false;
            foreach (var d in deliveries)
            {
                c.Execute("""
                    INSERT INTO webhook_deliveries (id, endpoint_id, org_id, run_id, event_seq, event_type, payload_json, status, next_attempt_at, created_at)
                    VALUES (@id, @endpointId, @orgId, @runId, @seq, @type, @payload, 'pending', @createdAt, @createdAt)
                    ON CONFLICT (endpoint_id, event_seq) DO NOTHING
                    """, new
                {
                    id = d.Id, endpointId = d.EndpointId, orgId = d.OrgId, runId = d.RunId.ToString("D"), seq = d.EventSequence,
                    type = d.EventType, payload = d.PayloadJson, createdAt = d.CreatedAt.UtcTicks,
                });
            }

            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<WebhookDelivery>> ClaimWebhookDeliveriesAsync(DateTimeOffset now, int max, TimeSpan hold, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<WebhookDelivery>>(tx =>
        {
            var c = tx.Db.Connection;
            var rows = c.Query<DeliveryRow>($"""
                SELECT {DeliveryColumns} FROM webhook_deliveries d
                WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND (d.held_until IS NULL OR d.held_until <= @now)
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                                  WHERE p.endpoint_id = d.endpoint_id AND p.run_id = d.run_id AND p.status = 'pending' AND p.event_seq < d.event_seq)
                ORDER BY d.event_seq LIMIT @max
                """, new { now = now.UtcTicks, max = Math.Max(0, max) }).ToList();
            foreach (var r in rows)
                c.Execute("UPDATE webhook_deliveries SET held_until = @until WHERE id = @id", new { id = r.Id, until = (now + hold).UtcTicks });
            return rows.Select(r => r.ToDelivery()).ToList();
        }, cancellationToken);

    /// <inheritdoc />
    public Task RecordWebhookAttemptsAsync(IReadOnlyList<WebhookAttemptOutcome> outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        return WriteAsync(tx =>
        {
            foreach (var o in outcomes)
            {
                var pending = o.Status == WebhookDeliveryStatus.Pending;
                tx.Db.Connection.Execute("""
                    UPDATE webhook_deliveries
                    SET status = @status, attempts = attempts + 1, next_attempt_at = @next, held_until = NULL,
                        last_status_code = @code, last_error = @error, finished_at = @finished
                    WHERE id = @id AND status = 'pending'
                    """, new
                {
                    id = o.DeliveryId, status = o.Status, next = pending ? o.NextAttemptAt?.UtcTicks : null, code = o.StatusCode, error = o.Error,
                    finished = pending ? (long?)null : o.At.UtcTicks,
                });
            }

            return 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<WebhookDelivery>> ListWebhookDeliveriesAsync(string? orgId, string endpointId, int limit, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<WebhookDelivery>>(db => db.Connection.Query<DeliveryRow>($"""
                SELECT {DeliveryColumns} FROM webhook_deliveries
                WHERE endpoint_id = @endpointId AND (@orgId IS NULL OR org_id = @orgId) ORDER BY event_seq DESC LIMIT @limit
                """, new { endpointId, orgId, limit = Math.Max(0, limit) })
            .Select(r => r.ToDelivery()).ToList(), cancellationToken);

    private sealed class EndpointRow
    {
        public string Id { get; set; } = "";
        public string OrgId { get; set; } = "";
        public string Url { get; set; } = "";
        public string Events { get; set; } = "[]";
        public string Secret { get; set; } = "";
        public long Enabled { get; set; }
        public string? DisabledReason { get; set; }
        public long CreatedAt { get; set; }

        public WebhookEndpoint ToEndpoint() => new()
        {
            Id = Id, OrgId = OrgId, Url = Url, Events = JsonSerializer.Deserialize<List<string>>(Events) ?? [], Secret = Secret,
            Enabled = Enabled != 0, DisabledReason = DisabledReason, CreatedAt = SqliteValues.Time(CreatedAt),
        };
    }

    private sealed class DeliveryRow
    {
        public string Id { get; set; } = "";
        public string EndpointId { get; set; } = "";
        public string OrgId { get; set; } = "";
        public string RunId { get; set; } = "";
        public long EventSequence { get; set; }
        public string EventType { get; set; } = "";
        public string PayloadJson { get; set; } = "";
        public string Status { get; set; } = "";
        public long Attempts { get; set; }
        public long? NextAttemptAt { get; set; }
        public long? LastStatusCode { get; set; }
        public string? LastError { get; set; }
        public long CreatedAt { get; set; }
        public long? FinishedAt { get; set; }

        public WebhookDelivery ToDelivery() => new()
        {
            Id = Id, EndpointId = EndpointId, OrgId = OrgId, RunId = Guid.Parse(RunId), EventSequence = EventSequence, EventType = EventType,
            PayloadJson = PayloadJson, Status = Status, Attempts = (int)Attempts,
            NextAttemptAt = NextAttemptAt is { } n ? SqliteValues.Time(n) : null,
            LastStatusCode = LastStatusCode is { } code ? (int)code : null, LastError = LastError,
            CreatedAt = SqliteValues.Time(CreatedAt), FinishedAt = FinishedAt is { } f ? SqliteValues.Time(f) : null,
        };
    }
}
