using Orchestration.Storage;

namespace Orchestration.Host;

internal static class HostHealth
{
    public static async Task<IResult> CheckAsync(IOrchestrationQueries queries, TimeProvider time, CancellationToken cancellationToken)
    {
        bool ok;
        try
        {
            ok = await queries.PingAsync(cancellationToken);
        }
        catch (Exception)
        {
            ok = false;
        }

        var body = new Dictionary<string, object>
        {
            ["status"] = ok ? "healthy" : "unhealthy",
            ["database"] = ok ? "connected" : "disconnected",
            ["timestamp"] = time.GetUtcNow(),
        };
        return Results.Json(body, statusCode: ok ? 200 : 503);
    }
}
