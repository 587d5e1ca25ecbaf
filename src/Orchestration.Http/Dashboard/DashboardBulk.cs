using System.Globalization;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// Bulk actions by filter ("restart every failed run of type X since 10:00"): the filter is resolved on the server, the
/// matching ids are read in pages, oldest first (runs created meanwhile land after the pages already read), and each
/// run is acted on through the engine client with its family's permission checked, as one API call per run would be.
/// </summary>
internal static class DashboardBulk
{
    /// <summary>At most this many runs per bulk action; the confirmation says how many it will take.</summary>
    public const int MaxRuns = 10_000;
    private const int PageSize = 500;

    public static async Task<IResult> ApplyAsync(DashboardView view, IOrchestrationClient client)
    {
        var ct = view.Context.RequestAborted;
        var form = await view.Context.Request.ReadFormAsync(ct);
        var action = form["action"].ToString();
        if (action is not ("cancel" or "restart")) throw ApiException.Validation("action", "must be cancel or restart");
        var filters = RunsPage.Filters.Read(name => form[name]) with { Offset = 0 };
        if (filters.Status is null) throw ApiException.Validation("status", "a bulk action needs a status filter");
        var readable = FamilyAccess.Readable(view.Caller);
        if (readable.Count == 0) throw new ApiException(StatusCodes.Status403Forbidden, "This key may read no family's runs");
        var query = RunsPage.Query(view, filters, readable) with { Descending = false, Limit = PageSize };
        if (query.Family is { } only && !FamilyAccess.For(only).Can(view.Caller, Permission(FamilyAccess.For(only), action)))
            throw new ApiException(StatusCodes.Status403Forbidden, $"Missing permission '{Permission(FamilyAccess.For(only), action) ?? action}'");

        var runs = new List<Run>();
        for (var offset = 0; runs.Count < MaxRuns; offset += PageSize)
        {
            var page = await client.Queries.ListRunsAsync(query with { Offset = offset }, ct);
            runs.AddRange(page.Items.Take(MaxRuns - runs.Count));
            if (page.Items.Count < PageSize) break;
        }

        int applied = 0, refused = 0, unchanged = 0;
        foreach (var run in runs)
        {
            var access = FamilyAccess.For(run.Family);
            if (!access.CanRead(view.Caller) || !access.Can(view.Caller, Permission(access, action)))
            {
                refused++;
                continue;
            }

            var status = action == "cancel"
                ? await client.CancelRunAsync(view.Caller.OrgId, run.Id, ct)
                : await client.RestartRunAsync(view.Caller.OrgId, run.Id, ct);
            if (status == RunCommandStatus.Applied) applied++;
            else unchanged++;
        }

        var verb = action == "cancel" ? "Cancelled" : "Restarted";
        var summary = string.Create(CultureInfo.InvariantCulture, $"{verb} {applied} of {runs.Count} matching runs")
            + (unchanged > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {unchanged} had changed state meanwhile") : "")
            + (refused > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {refused} refused for lack of permission") : "") + ".";
        var back = filters with { Status = null };
        var target = view.Path("/runs") + back.QueryString();
        return Results.Redirect(target + (target.Contains('?') ? "&" : "?") + "done=" + Html.Url(summary));
    }

    private static string? Permission(FamilyAccess access, string action) => action == "cancel" ? access.Cancel : access.Restart;
}
