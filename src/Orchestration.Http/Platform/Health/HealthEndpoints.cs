using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Hosting;
using Orchestration.Storage;

namespace Orchestration.Http.Platform.Health;

/// <summary>
/// Body of the health endpoints: the union of the job queue and FlowCtl API references' fields (<c>status</c>,
/// <c>database</c>, <c>timestamp</c>) and the real Foreman server's (<c>environment</c>, <c>services</c>).
/// </summary>
/// <param name="Status"><c>healthy</c> or <c>unhealthy</c>.</param>
/// <param name="Database"><c>connected</c> or <c>disconnected</c>.</param>
/// <param name="Timestamp">Server time, UTC.</param>
/// <param name="Environment">The host's environment name in lower case (<c>development</c>, <c>production</c>, ...).</param>
/// <param name="Services">Each dependency's state; today only <c>database</c>.</param>
internal sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("database")] string Database,
    [property: JsonPropertyName("timestamp")] DateTime Timestamp,
    [property: JsonPropertyName("environment")] string Environment,
    [property: JsonPropertyName("services")] IReadOnlyDictionary<string, string> Services);

internal static class HealthEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Maps <c>GET /health</c> and <c>GET /api/v1/health</c>: no auth, no rate limit.</summary>
    public static void Map(IEndpointRouteBuilder root)
    {
        foreach (var path in new[] { "/health", "/api/v1/health" })
        {
            root.MapGet(path, CheckAsync)
                .WithName(path == "/health" ? "Health" : "ApiHealth")
                .WithTags("Health")
                .WithSummary("Health and database connectivity; 503 when the database is unreachable.")
                .Produces<HealthResponse>()
                .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<IResult> CheckAsync(IOrchestrationQueries queries, TimeProvider time, IHostEnvironment environment, CancellationToken cancellationToken)
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

        var database = ok ? "connected" : "disconnected";
        // Lower case as Foreman reports NODE_ENV ("development", "production"); ASP.NET Core capitalises its names.
        var body = new HealthResponse(ok ? "healthy" : "unhealthy", database, time.GetUtcNow().UtcDateTime,
            environment.EnvironmentName.ToLowerInvariant(), new Dictionary<string, string> { ["database"] = database });
        return Results.Json(body, Json, statusCode: ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
