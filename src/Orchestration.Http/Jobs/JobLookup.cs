using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform;

namespace Orchestration.Http.Jobs;

/// <summary>Finds a job's one task; runs of other families and other orgs are not jobs.</summary>
internal static class JobLookup
{
    public static async Task<TaskRun> GetAsync(IOrchestrationClient client, string orgId, Guid id, CancellationToken cancellationToken) =>
        await FindAsync(client, orgId, id, cancellationToken) ?? throw JobsException.NotFound(id);

    public static async Task<TaskRun?> FindAsync(IOrchestrationClient client, string orgId, Guid id, CancellationToken cancellationToken)
    {
        if (await FamilyScope.FindRunAsync(client, orgId, FamilyScope.Jobs, id, cancellationToken) is null) return null;
        var tasks = await client.Queries.GetRunTasksAsync(orgId, id, cancellationToken);
        return tasks.Count == 1 ? tasks[0] : null;
    }

    public static Guid ParseId(string id) =>
        Guid.TryParse(id, out var g) ? g : throw new JobsException(StatusCodes.Status404NotFound, "Job not found", new Dictionary<string, string> { ["job_id"] = id });
}
