using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Events;

/// <summary>
/// <c>GET /api/v1/events?after=&lt;seq&gt;</c>: the caller's org's events after a sequence, polled as JSON or streamed as
/// server-sent events (<c>Accept: text/event-stream</c>). Both read with the store's commit-safe read, so resuming
/// after the last sequence seen (or the stream's <c>Last-Event-ID</c>) never skips an event that committed late.
/// Needs <c>events:read</c>.
/// </summary>
internal static class EventsEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(RouteGroupBuilder group)
    {
        group.WithTags("Events");
        group.MapGet("/events", ReadAsync).RequirePermission(Permissions.EventsRead).WithName("EventsRead")
            .Produces<EventListResponse>().Produces(StatusCodes.Status200OK, contentType: "text/event-stream").Produces<ErrorBody>(StatusCodes.Status400BadRequest);
    }

    private static async Task ReadAsync(HttpContext context, IOrchestrationQueries queries, TimeProvider time, IOptions<OrchestrationHttpOptions> options)
    {
        var orgId = context.GetCaller().OrgId;
        var limit = Number(context, "limit", 1, MaxLimit) ?? DefaultLimit;
        var streaming = context.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true);
        var after = Number(context, "after", 0, long.MaxValue) ?? 0;
        if (streaming && context.Request.Headers["Last-Event-ID"] is { Count: > 0 } lastId)
        {
            after = long.TryParse(lastId.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id >= 0
                ? id
                : throw new ApiException(StatusCodes.Status400BadRequest, "Last-Event-ID must be an event sequence (a non-negative integer)");
        }

        if (!streaming)
        {
            var batch = await queries.ReadCommittedEventsAsync(after, (int)limit, orgId, context.RequestAborted);
            await context.Response.WriteAsJsonAsync(new EventListResponse(batch.Events.Select(ToWire).ToList(), batch.Watermark), Json, context.RequestAborted);
            return;
        }

        await StreamAsync(context, queries, time, options.Value.Events, orgId, after, (int)limit);
    }

    /// <summary>
    /// The stream: each event as <c>id: &lt;sequence&gt;</c>, <c>event: &lt;name&gt;</c>, <c>data: &lt;json&gt;</c>; a
    /// comment line as keep-alive when nothing happened for a while; closed by the server after
    /// <see cref="EventStreamOptions.MaxStreamSeconds"/> (clients reconnect with Last-Event-ID), so no connection holds a
    /// reader for ever.
    /// </summary>
    private static async Task StreamAsync(HttpContext context, IOrchestrationQueries queries, TimeProvider time, EventStreamOptions settings, string orgId, long after, int limit)
    {
        var ct = context.RequestAborted;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var started = time.GetUtcNow();
        var lastWrite = started;
        var cursor = after;
        await context.Response.WriteAsync($"retry: {settings.RetryMilliseconds}\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
        try
        {
            while (!ct.IsCancellationRequested && time.GetUtcNow() - started < TimeSpan.FromSeconds(settings.MaxStreamSeconds))
            {
                var batch = await queries.ReadCommittedEventsAsync(cursor, limit, orgId, ct);
                if (batch.Events.Count > 0)
                {
                    var text = new StringBuilder();
                    foreach (var e in batch.Events)
                    {
                        text.Append("id: ").Append(e.Sequence.ToString(CultureInfo.InvariantCulture)).Append('\n')
                            .Append("event: ").Append(e.Type).Append('\n')
                            .Append("data: ").Append(JsonSerializer.Serialize(ToWire(e), Json)).Append("\n\n");
                    }

                    await context.Response.WriteAsync(text.ToString(), ct);
                    await context.Response.Body.FlushAsync(ct);
                    lastWrite = time.GetUtcNow();
                }

                cursor = batch.Watermark;
                if (batch.Events.Count == limit) continue;

                if (time.GetUtcNow() - lastWrite >= TimeSpan.FromSeconds(settings.KeepAliveSeconds))
                {
                    await context.Response.WriteAsync(": keep-alive\n\n", ct);
                    await context.Response.Body.FlushAsync(ct);
                    lastWrite = time.GetUtcNow();
                }

                await Task.Delay(TimeSpan.FromMilliseconds(settings.PollMilliseconds), time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away: the normal end of a stream.
        }
    }

    private static long? Number(HttpContext context, string name, long min, long max)
    {
        if (context.Request.Query[name] is not { Count: > 0 } raw) return null;
        return long.TryParse(raw.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw ApiException.Validation(name, max == long.MaxValue ? $"must be an integer of at least {min}" : $"must be an integer from {min} to {max}");
    }

    private static EventResponse ToWire(EngineEvent e) => new(
        e.Sequence, e.Type, e.RunId, e.TaskId, e.DataJson is { Length: > 0 } d ? Parse(d) : null, e.CreatedAt.UtcDateTime);

    private static JsonNode? Parse(string json)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return JsonValue.Create(json);
        }
    }
}

/// <summary>One event on the wire.</summary>
internal sealed record EventResponse(
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("run_id")] Guid RunId,
    [property: JsonPropertyName("task_id")] Guid? TaskId,
    [property: JsonPropertyName("data")] JsonNode? Data,
    [property: JsonPropertyName("timestamp")] DateTime Timestamp);

/// <summary>Answer of the polled read: the events and where to resume (<c>after=next_after</c>).</summary>
internal sealed record EventListResponse(
    [property: JsonPropertyName("events")] IReadOnlyList<EventResponse> Events,
    [property: JsonPropertyName("next_after")] long NextAfter);
