using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;

namespace Orchestration.Http.Foreman;

/// <summary>
/// <c>/api/v1/config</c>, <c>/config/redis</c>, <c>/config/queues</c>: Foreman's client asks these for the Redis
/// connection and queue names of its BullMQ queue. This host has no external queue, so they answer 501 with a body
/// that says what replaces it, instead of a 404 that reads like a wrong base URL.
/// </summary>
internal static class ConfigEndpoints
{
    public const string NoExternalQueue =
        "This host has no external queue (Redis/BullMQ) to configure. Tasks set to 'queued' are handed to workers by the " +
        "host's own executor protocol: POST /api/v1/tasks/claim, then PUT /api/v1/tasks/{id}/heartbeat, /complete or /fail " +
        "(see docs/api/foreman.md, \"Workers without Redis\").";

    public static void Map(RouteGroupBuilder group)
    {
        foreach (var (path, name) in new[] { ("/config", "ForemanConfig"), ("/config/redis", "ForemanRedisConfig"), ("/config/queues", "ForemanQueuesConfig") })
        {
            group.MapGet(path, () => ErrorWriter.Result(StatusCodes.Status501NotImplemented, NoExternalQueue))
                .RequirePermission(Permissions.TasksRead).WithName(name).WithTags("Foreman config")
                .Produces<ErrorBody>(StatusCodes.Status501NotImplemented);
        }
    }
}
