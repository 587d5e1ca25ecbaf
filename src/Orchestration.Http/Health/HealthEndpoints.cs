using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestration.Storage;

namespace Orchestration.Http.Health;

/// <summary>Body of the health endpoints: the union of the Foreman/jobs (<c>database</c>) and FlowCtl (<c>timestamp</c>) fields.</summary>
/// <param name="Status"><c>healthy</c> or <c>unhealthy</c>.</param>
/// <param name="Database"><c>connected</c> or <c>disconnected</c>.</param>
/// <param name="Timestamp">Server time, UTC.</param>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("database")] string Database,
    [property: JsonPropertyName("timestamp")] DateTime Timestamp);

internal static class HealthEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Maps <c>GET /health</c> and <c>GET /api/v1/health</c>: no auth, no rate limit.</summary>
    public static void Map(IEndpointRouteBuilder root)
    {
        foreach (var path in new[] { "/health", "/api/v1/health" })
        {
            root.MapGet(path, CheckAsync)
                .WithTags("Health")
                .WithSummary("Health and database connectivity; 503 when the database is unreachable.")
                .Produces<HealthResponse>()
                .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<IResult> CheckAsync(IOrchestrationQueries queries, TimeProvider time, CancellationToken cancellationToken)
    {
        bool ok;
        try
        {
            ok = await queries.PingAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Any failure to reach the store is what this endpoint reports; the reason belongs in the store's logs.
            ok = false;
        }

        var body = new HealthResponse(ok ? "healthy" : "unhealthy", ok ? "connected" : "disconnected", time.GetUtcNow().UtcDateTime);
        return Results.Json(body, Json, statusCode: ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
