using System.Data.Common;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Webhook endpoints, deliveries and the dispatcher's cursor. The statements stay with this file because no other part
// of the store uses these tables. Parameters avoid the name "now", which the host-clock mode adds to every command.
public sealed partial class PostgresStore : IWebhookStore
{
    private const string EndpointColumns = "id, org_id, url, events, secret, enabled, disabled_reason, created_at";
    private const string DeliveryColumns = """
        id, endpoint_id, org_id, run_id, event_seq, event_type, payload_json, status, attempts, next_attempt_at, last_status_code,
        last_error, created_at, finished_at
        """;

    /// <inheritdoc />
    public Task<bool> CreateWebhookAsync(WebhookEndpoint endpoint, int maxPerOrg, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return InTransactionAsync(async (tx, ct) =>
        {
            // Serialises creates of one org so two concurrent ones cannot both pass the count.
            await tx.ExecAsync("SELECT pg_advisory_xact_lock(hashtext('orchestration.webhooks:' || @orgId))", new { orgId = endpoint.OrgId }, ct);
            return await tx.ExecAsync(S("""
                INSERT INTO {s}.webhooks (id, org_id, url, events, secret, enabled, created_at)
                SELECT @id, @orgId, @url, @events, @secret, true, @createdAt
                WHERE (SELECT count(*) FROM {s}.webhooks WHERE org_id = @orgId) < @maxPerOrg
                """), new
            {
                id = endpoint.Id, orgId = endpoint.OrgId, url = endpoint.Url, events = endpoint.Events.ToArray(), secret = endpoint.Secret,
                createdAt = endpoint.CreatedAt.ToUniversalTime(), maxPerOrg = (long)maxPerOrg,
            }, ct) == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(string? orgId, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(
            S($"SELECT {EndpointColumns} FROM {{s}}.webhooks WHERE @orgId::text IS NULL OR org_id = @orgId ORDER BY created_at, id"),
            new { orgId }, ReadEndpoint, ct), cancellationToken);

    /// <inheritdoc />
    public Task<bool> DeleteWebhookAsync(string orgId, string id, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
        {
            if (await tx.ExecAsync(S("DELETE FROM {s}.webhooks WHERE org_id = @orgId AND id = @id"), new { orgId, id }, ct) == 0) return false;
            await tx.ExecAsync(S("DELETE FROM {s}.webhook_deliveries WHERE endpoint_id = @id"), new { id }, ct);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> DisableWebhookAsync(string id, string reason, CancellationToken cancellationToken)
    {
        var at = _time.GetUtcNow().ToUniversalTime();
        return InTransactionAsync(async (tx, ct) =>
        {
            if (await tx.ExecAsync(S("UPDATE {s}.webhooks SET enabled = false, disabled_reason = @reason WHERE id = @id"), new { id, reason }, ct) == 0) return false;
            await tx.ExecAsync(S("""
                UPDATE {s}.webhook_deliveries SET status = 'failed', next_attempt_at = NULL, held_until = NULL, last_error = @reason, finished_at = @at
                WHERE endpoint_id = @id AND status = 'pending'
                """), new { id, reason, at }, ct);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<long> GetWebhookCursorAsync(CancellationToken cancellationToken) =>
        OnConnectionAsync(async (tx, ct) => await tx.ScalarAsync<long>(S("SELECT seq FROM {s}.webhook_cursor WHERE id = 1"), null, ct), cancellationToken);

    /// <inheritdoc />
    public Task<bool> EnqueueWebhookDeliveriesAsync(long fromCursor, long toCursor, IReadOnlyList<NewWebhookDelivery> deliveries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        return InTransactionAsync(async (tx, ct) =>
        {
            // A host that lost the race waits here for the winner's commit, then finds the cursor moved and writes nothing.
            if (await tx.ExecAsync(S("UPDATE {s}.webhook_cursor SET seq = GREATEST(seq, @toCursor) WHERE id = 1 AND seq = @fromCursor"),
                    new { fromCursor, toCursor }, ct) == 0)
                return false;
            if (deliveries.Count == 0) return true;
            await tx.ExecAsync(S("""
                INSERT INTO {s}.webhook_deliveries (id, endpoint_id, org_id, run_id, event_seq, event_type, payload_json, status, next_attempt_at, created_at)
                SELECT x.id, x.endpoint_id, x.org_id, x.run_id, x.event_seq, x.event_type, x.payload_json, 'pending', x.created_at, x.created_at
                FROM unnest(@ids, @endpoints, @orgs, @runs, @seqs, @types, @payloads, @created)
                     AS x(id, endpoint_id, org_id, run_id, event_seq, event_type, payload_json, created_at)
                ON CONFLICT (endpoint_id, event_seq) DO NOTHING
                """), new
            {
                ids = deliveries.Select(d => d.Id).ToArray(),
                endpoints = deliveries.Select(d => d.EndpointId).ToArray(),
                orgs = deliveries.Select(d => d.OrgId).ToArray(),
                runs = deliveries.Select(d => d.RunId).ToArray(),
                seqs = deliveries.Select(d => d.EventSequence).ToArray(),
                types = deliveries.Select(d => d.EventType).ToArray(),
                payloads = deliveries.Select(d => d.PayloadJson).ToArray(),
                created = deliveries.Select(d => d.CreatedAt.ToUniversalTime()).ToArray(),
            }, ct);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<WebhookDelivery>> ClaimWebhookDeliveriesAsync(DateTimeOffset now, int max, TimeSpan hold, CancellationToken cancellationToken)
    {
        var claimed = await InTransactionAsync((tx, ct) => tx.ReadAsync(S($$"""
            WITH due AS (
                SELECT d.id FROM {s}.webhook_deliveries d
                WHERE d.status = 'pending' AND d.next_attempt_at <= @at AND (d.held_until IS NULL OR d.held_until <= @at)
                  AND NOT EXISTS (SELECT 1 FROM {s}.webhook_deliveries p
                                  WHERE p.endpoint_id = d.endpoint_id AND p.run_id = d.run_id AND p.status = 'pending' AND p.event_seq < d.event_seq)
                ORDER BY d.event_seq LIMIT @max
                FOR UPDATE SKIP LOCKED)
            UPDATE {s}.webhook_deliveries w SET held_until = @until FROM due WHERE w.id = due.id
            RETURNING {{DeliveryColumnsOf("w")}}
            """), new { at = now.ToUniversalTime(), until = (now + hold).ToUniversalTime(), max = Math.Max(0, max) }, ReadDelivery, ct), cancellationToken);
        return claimed.OrderBy(d => d.EventSequence).ToList();
    }

    /// <inheritdoc />
    public Task RecordWebhookAttemptsAsync(IReadOnlyList<WebhookAttemptOutcome> outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0) return Task.CompletedTask;
        return InTransactionAsync(async (tx, ct) =>
        {
            foreach (var o in outcomes.OrderBy(o => o.DeliveryId, StringComparer.Ordinal))
            {
                var pending = o.Status == WebhookDeliveryStatus.Pending;
                await tx.ExecAsync(S("""
                    UPDATE {s}.webhook_deliveries
                    SET status = @status, attempts = attempts + 1, next_attempt_at = @next, held_until = NULL,
                        last_status_code = @code, last_error = @error, finished_at = @finished
                    WHERE id = @id AND status = 'pending'
                    """), new
                {
                    id = o.DeliveryId, status = o.Status, next = pending ? o.NextAttemptAt?.ToUniversalTime() : null, code = o.StatusCode, error = o.Error,
                    finished = pending ? (DateTimeOffset?)null : o.At.ToUniversalTime(),
                }, ct);
            }

            return 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<WebhookDelivery>> ListWebhookDeliveriesAsync(string? orgId, string endpointId, int limit, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(S($$"""
            SELECT {{DeliveryColumns}} FROM {s}.webhook_deliveries
            WHERE endpoint_id = @endpointId AND (@orgId::text IS NULL OR org_id = @orgId) ORDER BY event_seq DESC LIMIT @limit
            """), new { endpointId, orgId, limit = Math.Max(0, limit) }, ReadDelivery, ct), cancellationToken);

    private static string DeliveryColumnsOf(string alias) =>
        string.Join(", ", DeliveryColumns.Split(',', StringSplitOptions.TrimEntries).Select(c => alias + "." + c));

    private static WebhookEndpoint ReadEndpoint(DbDataReader r) => new()
    {
        Id = r.GetString(0), OrgId = r.GetString(1), Url = r.GetString(2), Events = r.GetFieldValue<string[]>(3), Secret = r.GetString(4),
        Enabled = r.GetBoolean(5), DisabledReason = r.IsDBNull(6) ? null : r.GetString(6), CreatedAt = r.GetFieldValue<DateTimeOffset>(7),
    };

    private static WebhookDelivery ReadDelivery(DbDataReader r) => new()
    {
        Id = r.GetString(0), EndpointId = r.GetString(1), OrgId = r.GetString(2), RunId = r.GetGuid(3), EventSequence = r.GetInt64(4),
        EventType = r.GetString(5), PayloadJson = r.GetString(6), Status = r.GetString(7), Attempts = r.GetInt32(8),
        NextAttemptAt = r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9), LastStatusCode = r.IsDBNull(10) ? null : r.GetInt32(10),
        LastError = r.IsDBNull(11) ? null : r.GetString(11), CreatedAt = r.GetFieldValue<DateTimeOffset>(12),
        FinishedAt = r.IsDBNull(13) ? null : r.GetFieldValue<DateTimeOffset>(13),
    };
}
