using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Foreman;
using Orchestration.Http.Formicary;
using Orchestration.Http.Jobs;
using Orchestration.Http.Workflows;

namespace Orchestration.Http.Platform;

/// <summary>
/// What each API family's endpoints can see: only runs (and their tasks and run data) that the family created. A run
/// of another family is answered exactly as another org's: not found. Writes go further and pass the family to the
/// store, so the check and the write are one atomic step; reads come through here.
/// </summary>
internal static class FamilyScope
{
    /// <summary>
    /// The families whose tasks <c>GET /api/v1/tasks/{id}</c> returns: the path is shared by the Foreman API and the
    /// workflows API (see <c>SharedTaskEndpoint</c>), each caller seeing the families it holds a read permission of.
    /// </summary>
    public static IReadOnlySet<string> SharedTaskReaders { get; } = new HashSet<string>(StringComparer.Ordinal) { ForemanJson.Family, WorkflowsJson.Family };

    /// <summary>The families each family's own endpoints see (just itself).</summary>
    public static IReadOnlySet<string> Foreman { get; } = new HashSet<string>(StringComparer.Ordinal) { ForemanJson.Family };

    /// <inheritdoc cref="Foreman"/>
    public static IReadOnlySet<string> Jobs { get; } = new HashSet<string>(StringComparer.Ordinal) { JobsJson.Family };

    /// <inheritdoc cref="Foreman"/>
    public static IReadOnlySet<string> Workflows { get; } = new HashSet<string>(StringComparer.Ordinal) { WorkflowsJson.Family };

    /// <inheritdoc cref="Foreman"/>
    public static IReadOnlySet<string> Formicary { get; } = new HashSet<string>(StringComparer.Ordinal) { FormicaryJson.Family };

    /// <summary>The run, or null when it does not exist in the org or another family created it.</summary>
    public static async Task<Run?> FindRunAsync(IOrchestrationClient client, string orgId, IReadOnlySet<string> families, Guid runId, CancellationToken cancellationToken)
    {
        var run = await client.Queries.GetRunAsync(orgId, runId, cancellationToken);
        return run is not null && families.Contains(run.Family) ? run : null;
    }

    /// <summary>The task, or null when it does not exist in the org or its run was created by another family.</summary>
    public static async Task<TaskRun?> FindTaskAsync(IOrchestrationClient client, string orgId, IReadOnlySet<string> families, Guid taskId, CancellationToken cancellationToken)
    {
        var task = await client.Queries.GetTaskAsync(orgId, taskId, cancellationToken);
        if (task is null) return null;
        return await FindRunAsync(client, orgId, families, task.RunId, cancellationToken) is null ? null : task;
    }
}
