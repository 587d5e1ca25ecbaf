using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// Cancel, restart, task retry and review from the dashboard. Each asks for the permission its family's API asks for (see
/// <see cref="FamilyAccess"/>) and goes through the engine client as the API does; on success the browser is sent back
/// to the run page (POST, redirect, GET), so a reload never repeats the action.
/// </summary>
internal static class DashboardActions
{
    public static async Task<IResult> CancelAsync(DashboardView view, IOrchestrationClient client, Guid runId)
    {
        var (run, access) = await RunPage.FindAsync(view, client, runId);
        Require(view, access.Cancel, "cancel");
        return Outcome(view, run.Id, await client.CancelRunAsync(view.Caller.OrgId, run.Id, view.Context.RequestAborted), "cancelled");
    }

    public static async Task<IResult> RestartAsync(DashboardView view, IOrchestrationClient client, Guid runId)
    {
        var (run, access) = await RunPage.FindAsync(view, client, runId);
        Require(view, access.Restart, "restart");
        return Outcome(view, run.Id, await client.RestartRunAsync(view.Caller.OrgId, run.Id, view.Context.RequestAborted), "restarted");
    }

    public static async Task<IResult> ReviewAsync(DashboardView view, IOrchestrationClient client, Guid runId, Guid taskId)
    {
        var (run, access) = await RunPage.FindAsync(view, client, runId);
        Require(view, access.Review, "review");
        var form = await view.Context.Request.ReadFormAsync(view.Context.RequestAborted);
        var decision = form["decision"].ToString();
        if (decision is not ("approve" or "reject")) throw ApiException.Validation("decision", "must be approve or reject");
        var comments = form["comments"].ToString();
        if (comments.Length > 2000) throw ApiException.Validation("comments", "must be at most 2000 characters");
        var result = await client.ReviewTaskAsync(new ReviewTaskParams
        {
            OrgId = view.Caller.OrgId, Family = run.Family, RunId = run.Id, TaskId = taskId, Approved = decision == "approve",
            Reviewer = "dashboard:" + view.Caller.PartitionKey, Comments = string.IsNullOrWhiteSpace(comments) ? null : comments.Trim(),
        }, view.Context.RequestAborted);
        return result.Status switch
        {
            ReviewTaskStatus.Applied => Back(view, run.Id),
            ReviewTaskStatus.NotFound => throw ApiException.NotFound("Task"),
            _ => throw ApiException.Conflict($"The task cannot be reviewed: {result.Status}"),
        };
    }

    // Retrying a task reruns part of a run, so it asks for the same permission as restarting the run.
    public static async Task<IResult> RetryTaskAsync(DashboardView view, IOrchestrationClient client, Guid runId, Guid taskId)
    {
        var (run, access) = await RunPage.FindAsync(view, client, runId);
        Require(view, access.Restart, "retry a task");
        var ct = view.Context.RequestAborted;
        var status = await client.RetryTaskAsync(new RetryTaskParams { OrgId = view.Caller.OrgId, Family = run.Family, RunId = run.Id, TaskId = taskId }, ct);
        if (status == RunCommandStatus.Applied) return Back(view, run.Id);
        var task = status == RunCommandStatus.NotFound ? null : await client.Queries.GetTaskAsync(view.Caller.OrgId, taskId, ct);
        if (task is null || task.RunId != run.Id) throw ApiException.NotFound("Task");
        throw ApiException.Conflict(task.Status != TaskRunStatus.Failed
            ? $"The task was not retried: it is {task.Status.ToWire()}, and only a failed task can be retried"
            : $"The task was not retried: its run is {run.Status.ToWire()}, and only a task of a running or failed run can be retried");
    }

    private static void Require(DashboardView view, string? permission, string action)
    {
        if (permission is null) throw new ApiException(StatusCodes.Status400BadRequest, $"Runs of this family cannot {action} through their API, so neither through the dashboard");
        if (!view.Caller.Has(permission)) throw new ApiException(StatusCodes.Status403Forbidden, $"Missing permission '{permission}'");
    }

    private static IResult Outcome(DashboardView view, Guid runId, RunCommandStatus status, string done) => status switch
    {
        RunCommandStatus.Applied => Back(view, runId),
        RunCommandStatus.NotFound => throw ApiException.NotFound("Run"),
        _ => throw ApiException.Conflict($"The run was not {done}: {status}"),
    };

    private static IResult Back(DashboardView view, Guid runId) => Results.Redirect(view.Path($"/runs/{runId:D}"), permanent: false, preserveMethod: false);
}
