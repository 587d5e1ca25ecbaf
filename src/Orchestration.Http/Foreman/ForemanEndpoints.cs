namespace Orchestration.Http.Foreman;

/// <summary>The Foreman family (seeds 000 and 001): runs, tasks and run data, camelCase JSON.</summary>
internal static class ForemanEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        RunEndpoints.Map(group.MapGroup("/runs").WithTags("Foreman runs"));
        TaskEndpoints.Map(group.MapGroup("/tasks").WithTags("Foreman tasks"));
        RunDataEndpoints.Map(group.MapGroup("/runs/{runId:guid}/data").WithTags("Foreman run data"));
    }
}
