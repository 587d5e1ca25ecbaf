using System.Text.Json.Serialization;

namespace Orchestration.Http.Webhooks.Contracts;

/// <summary>Body of <c>POST /api/v1/webhooks</c>.</summary>
internal sealed record CreateWebhookRequest(
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("events")] List<string>? Events,
    [property: JsonPropertyName("secret")] string? Secret);

/// <summary>An endpoint on the wire. The secret appears only in the answer to its creation.</summary>
internal sealed record WebhookResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("events")] IReadOnlyList<string> Events,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("disabled_reason")] string? DisabledReason,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("secret"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret = null);

/// <summary>Answer of <c>GET /api/v1/webhooks</c>.</summary>
internal sealed record WebhookListResponse([property: JsonPropertyName("webhooks")] IReadOnlyList<WebhookResponse> Webhooks);

/// <summary>One delivery on the wire.</summary>
internal sealed record DeliveryResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("event_sequence")] long EventSequence,
    [property: JsonPropertyName("run_id")] Guid RunId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("next_attempt_at")] DateTime? NextAttemptAt,
    [property: JsonPropertyName("last_status_code")] int? LastStatusCode,
    [property: JsonPropertyName("last_error")] string? LastError,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("finished_at")] DateTime? FinishedAt);

/// <summary>Answer of <c>GET /api/v1/webhooks/{id}/deliveries</c>.</summary>
internal sealed record DeliveryListResponse([property: JsonPropertyName("deliveries")] IReadOnlyList<DeliveryResponse> Deliveries);
