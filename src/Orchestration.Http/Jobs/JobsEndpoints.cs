using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Executors;
using Orchestration.Http.Jobs.Contracts;

namespace Orchestration.Http.Jobs;

/// <summary>The job queue API: jobs, executor calls and its admin views, snake_case JSON.</summary>
internal static class JobsEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.AddEndpointFilter<JobsErrorFilter>();
        JobEndpoints.Map(group.MapGroup("").WithTags("Jobs"));
        JobExecutorEndpoints.Map(group.MapGroup("").WithTags("Jobs executors"));
        TaskProtocolEndpoints.Map(group.MapGroup("").WithTags("Executor protocol"));
        group.MapGet("/admin/stats", JobAdminEndpoints.StatsAsync).RequirePermission(Permissions.OpsRead).WithName("JobsAdminStats").WithTags("Jobs admin")
            .Produces<JobStatsResponse>();
        group.MapGet("/admin/executors", JobAdminEndpoints.ExecutorsAsync).RequirePermission(Permissions.OpsRead).WithName("JobsAdminExecutors").WithTags("Jobs admin")
            .Produces<IReadOnlyList<ExecutorRow>>();
    }
}
