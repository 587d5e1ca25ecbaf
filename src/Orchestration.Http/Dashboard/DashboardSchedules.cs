using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// Pause and resume of any schedule, including those no definition owns (created through <see cref="IScheduleClient"/>
/// for a workflow, a job type or an embedded run). A schedule creates runs of its family on the org's behalf, so pausing
/// or resuming it asks for the permission that creates that family's runs; a Formicary schedule belongs to its
/// definition and asks for the definition API's disable or enable.
/// </summary>
internal static class DashboardSchedules
{
    private const int MaxNameChars = 200;

    public static string? Permission(string family, bool pause) => family switch
    {
        Workflows.WorkflowsJson.Family => Permissions.WorkflowsWrite,
        Jobs.JobsJson.Family => Permissions.JobsSubmit,
        Foreman.ForemanJson.Family => Permissions.RunsCreate,
        Formicary.FormicaryJson.Family => pause ? Permissions.JobDefinitionDisable : Permissions.JobDefinitionEnable,
        _ => Permissions.All,
    };

    public static bool CanSet(Caller caller, string family, bool pause) =>
        FamilyAccess.For(family).CanRead(caller) && Permission(family, pause) is { } permission && caller.Has(permission);

    public static async Task<IResult> SetPausedAsync(DashboardView view, IScheduleClient schedules, string family, string name, bool pause)
    {
        if (family.Length > MaxNameChars) throw ApiException.Validation("family", $"must be at most {MaxNameChars} characters");
        if (name.Length > MaxNameChars) throw ApiException.Validation("name", $"must be at most {MaxNameChars} characters");
        // Another family's schedule the key may not read is not found, as another family's run is not.
        if (!FamilyAccess.For(family).CanRead(view.Caller)) throw ApiException.NotFound("Schedule");
        var permission = Permission(family, pause)!;
        if (!view.Caller.Has(permission)) throw new ApiException(StatusCodes.Status403Forbidden, $"Missing permission '{permission}'");
        var ct = view.Context.RequestAborted;
        var changed = pause
            ? await schedules.PauseScheduleAsync(view.Caller.OrgId, family, name, ct)
            : await schedules.ResumeScheduleAsync(view.Caller.OrgId, family, name, ct);
        if (changed is null) throw ApiException.NotFound("Schedule");
        return Results.Redirect(view.Path("/definitions"));
    }
}
