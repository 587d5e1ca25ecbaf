namespace Orchestration.Http.Foreman;

/// <summary>The Foreman API: runs, tasks and run data, camelCase JSON.</summary>
internal static class ForemanEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        // Full paths per endpoint (no nested groups): a group plus an empty pattern would document "/runs/".
        RunEndpoints.Map(group.MapGroup("").WithTags("Foreman runs"));
        TaskEndpoints.Map(group.MapGroup("").WithTags("Foreman tasks"));
        RunDataEndpoints.Map(group.MapGroup("").WithTags("Foreman run data"));
        ConfigEndpoints.Map(group);
    }
}
