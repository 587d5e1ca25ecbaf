using System.Globalization;
using System.Text;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Dashboard;

/// <summary>One run: its actions, its graph coloured by status, and each task's input, output, error, attempts and review.</summary>
internal static class RunPage
{
    private const int MaxRunData = 200;

    /// <summary>The run when the caller may read its family; 404 otherwise, as another org's run would be.</summary>
    public static async Task<(Run Run, FamilyAccess Access)> FindAsync(DashboardView view, IOrchestrationClient client, Guid runId)
    {
        var run = await client.Queries.GetRunAsync(view.Caller.OrgId, runId, view.Context.RequestAborted);
        var access = run is null ? null : FamilyAccess.For(run.Family);
        if (run is null || access is null || !access.CanRead(view.Caller)) throw ApiException.NotFound("Run");
        return (run, access);
    }

    public static async Task<IResult> RenderAsync(DashboardView view, IOrchestrationClient client, Guid runId, bool fragmentOnly)
    {
        var (run, access) = await FindAsync(view, client, runId);
        var ct = view.Context.RequestAborted;
        var tasks = await client.Queries.GetRunTasksAsync(view.Caller.OrgId, run.Id, ct);
        var attempts = new Dictionary<Guid, IReadOnlyList<TaskAttempt>>();
        foreach (var t in tasks.Where(t => t.Attempt > 0).Take(DagSvg.MaxNodes))
            attempts[t.Id] = await client.Queries.GetAttemptsAsync(view.Caller.OrgId, t.Id, ct);
        var data = await client.Queries.QueryRunDataAsync(new RunDataQuery { OrgId = view.Caller.OrgId, RunId = run.Id, Limit = MaxRunData }, ct);

        var live = Live(view, run, access, tasks, attempts, data);
        DashboardLayout.NoStore(view.Context);
        if (fragmentOnly) return DashboardLayout.Fragment(live);
        var self = view.Path("/runs/" + run.Id.ToString("D"));
        var body = "<p><a href=\"" + Html.E(view.Path("/runs")) + "\">← all runs</a></p><div id=\"live\" aria-live=\"polite\">" + live + "</div>";
        return DashboardLayout.Page(view, $"Run {run.Name ?? run.Id.ToString("D")}", "/runs", body,
            live: view.Path("/live") + Html.Query(("run", run.Id.ToString("D"))), fragment: self + "?fragment=1");
    }

    private static string Live(DashboardView view, Run run, FamilyAccess access, IReadOnlyList<TaskRun> tasks, IReadOnlyDictionary<Guid, IReadOnlyList<TaskAttempt>> attempts,
        Page<RunDataEntry> data)
    {
        var html = new StringBuilder();
        var self = view.Path("/runs/" + run.Id.ToString("D"));
        html.Append("<section class=\"summary\" aria-label=\"Run summary\"><dl>")
            .Append("<dt>Status</dt><dd id=\"run-status\">").Append(Html.Status(run.Status.ToWire())).Append("</dd>")
            .Append("<dt>Id</dt><dd><code>").Append(run.Id.ToString("D")).Append("</code></dd>")
            .Append("<dt>Family</dt><dd>").Append(Html.E(access.Label)).Append("</dd>")
            .Append("<dt>Type</dt><dd>").Append(Html.E(run.Name)).Append("</dd>")
            .Append("<dt>Created</dt><dd>").Append(Html.E(run.CreatedAt)).Append("</dd>")
            .Append("<dt>Started</dt><dd>").Append(Html.Time(run.StartedAt)).Append("</dd>")
            .Append("<dt>Finished</dt><dd>").Append(Html.Time(run.CompletedAt)).Append("</dd>")
            .Append("<dt>Tasks</dt><dd>").Append(CultureInfo.InvariantCulture, $"{run.CompletedTasks} of {run.TotalTasks} completed, {run.FailedTasks} failed").Append("</dd></dl>");

        html.Append("<div class=\"actions\">");
        if (!run.Status.IsTerminal() && access.Can(view.Caller, access.Cancel))
            html.Append(view.Form(self + "/cancel", "Cancel run", "danger", confirm: "Cancel this run? Running tasks are told to stop."));
        if (run.Status is RunStatus.Failed or RunStatus.Cancelled && access.Can(view.Caller, access.Restart))
            html.Append(view.Form(self + "/restart", "Restart run", "", confirm: "Restart this run's failed, cancelled and skipped tasks?"));
        html.Append("</div>");
        if (!string.IsNullOrEmpty(run.ErrorJson)) html.Append("<h2>Error</h2><pre class=\"error\">").Append(Html.E(Html.Json(run.ErrorJson))).Append("</pre>");
        html.Append("</section>");

        html.Append("<section aria-labelledby=\"graph-h\"><h2 id=\"graph-h\">Graph</h2><div class=\"graph\">").Append(DagSvg.Render(tasks)).Append("</div></section>");
        html.Append("<section aria-labelledby=\"tasks-h\"><h2 id=\"tasks-h\">Tasks</h2>");
        foreach (var t in tasks) html.Append(Task(view, run, access, t, attempts.GetValueOrDefault(t.Id) ?? []));
        html.Append("</section>");

        html.Append("<section aria-labelledby=\"data-h\"><h2 id=\"data-h\">Run data</h2>");
        if (data.Items.Count == 0) html.Append("<p class=\"muted\">No run data.</p>");
        else
        {
            html.Append("<table><thead><tr><th scope=\"col\">Key</th><th scope=\"col\">Value</th><th scope=\"col\">Tags</th><th scope=\"col\">Updated</th></tr></thead><tbody>");
            foreach (var e in data.Items)
                html.Append("<tr><td><code>").Append(Html.E(e.Key)).Append("</code></td><td><pre>").Append(Html.E(Html.Json(e.ValueJson))).Append("</pre></td><td>")
                    .Append(Html.E(string.Join(", ", e.Tags))).Append("</td><td>").Append(Html.E(e.UpdatedAt)).Append("</td></tr>");
            html.Append("</tbody></table>");
        }

        return html.Append("</section>").ToString();
    }

    private static string Task(DashboardView view, Run run, FamilyAccess access, TaskRun t, IReadOnlyList<TaskAttempt> attempts)
    {
        var id = t.Id.ToString("D");
        var html = new StringBuilder();
        html.Append("<details class=\"task\" id=\"task-").Append(id).Append("\" data-task=\"").Append(Html.E(t.Name)).Append('"')
            .Append(t.Status is TaskRunStatus.Failed or TaskRunStatus.AwaitingApproval ? " open" : "").Append("><summary>")
            .Append(Html.Status(t.Status.ToWire())).Append(" <strong>").Append(Html.E(t.Name)).Append("</strong> <span class=\"muted\">").Append(Html.E(t.Type))
            .Append(CultureInfo.InvariantCulture, $" · attempt {t.Attempt} of {t.RetryPolicy.MaxAttempts}").Append("</span></summary>");

        if (t.Status == TaskRunStatus.AwaitingApproval && access.Can(view.Caller, access.Review))
        {
            var action = view.Path($"/runs/{run.Id:D}/tasks/{id}/review");
            html.Append("<div class=\"review\"><h3>Manual approval</h3>")
                .Append("<form method=\"post\" action=\"").Append(Html.E(action)).Append("\" class=\"review-form\">").Append(view.Csrf)
                .Append("<label>Comments <input type=\"text\" name=\"comments\" id=\"comments-").Append(id).Append("\" maxlength=\"2000\"></label>")
                .Append("<button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>")
                .Append("<button type=\"submit\" name=\"decision\" value=\"reject\" class=\"danger\">Reject</button></form></div>");
        }

        if (t.Status == TaskRunStatus.Failed && TaskRetryRules.MayRetryIn(run.Kind, run.Status) && access.Can(view.Caller, access.Restart))
            html.Append("<div class=\"actions\">").Append(view.Form(view.Path($"/runs/{run.Id:D}/tasks/{id}/retry"), "Retry task", "",
                confirm: $"Run task '{t.Name}' again? The tasks its failure skipped run after it.")).Append("</div>");

        if (t.Review is { } review)
            html.Append("<p>").Append(review.Approved ? "Approved" : "Rejected").Append(" by ").Append(Html.E(review.Reviewer)).Append(' ').Append(Html.E(review.ReviewedAt))
                .Append(string.IsNullOrEmpty(review.Comments) ? "" : ": " + Html.E(review.Comments)).Append("</p>");
        if (t.Dependencies.Count > 0) html.Append("<p>After: ").Append(Html.E(string.Join(", ", t.Dependencies))).Append("</p>");
        Block(html, "Input", t.InputJson);
        Block(html, "Output", t.OutputJson);
        Block(html, "Error", t.ErrorJson, "error");
        if (t.ExitCode is { } code) html.Append(CultureInfo.InvariantCulture, $"<p>Exit code {code}</p>");

        if (attempts.Count > 0)
        {
            html.Append("<h3>Attempts</h3><ol class=\"timeline\">");
            foreach (var a in attempts)
            {
                html.Append("<li><span class=\"badge st-").Append(Html.E(a.Outcome ?? "running")).Append("\">").Append(Html.E(a.Outcome ?? "running")).Append("</span> ")
                    .Append(CultureInfo.InvariantCulture, $"#{a.Number} on ").Append(Html.E(a.ExecutorId)).Append(a.ExecutorIp is null ? "" : " (" + Html.E(a.ExecutorIp) + ")")
                    .Append(", ").Append(Html.E(a.StartedAt)).Append(a.EndedAt is { } end ? " → " + Html.E(end) + Duration(end - a.StartedAt) : "");
                if (!string.IsNullOrEmpty(a.Error)) html.Append("<pre class=\"error\">").Append(Html.E(a.Error)).Append("</pre>");
                html.Append("</li>");
            }

            html.Append("</ol>");
        }

        return html.Append("</details>").ToString();
    }

    private static void Block(StringBuilder html, string label, string? json, string cssClass = "")
    {
        if (string.IsNullOrEmpty(json)) return;
        html.Append("<h3>").Append(label).Append("</h3><pre class=\"").Append(cssClass).Append("\">").Append(Html.E(Html.Json(json))).Append("</pre>");
    }

    private static string Duration(TimeSpan d) => d.TotalSeconds < 60
        ? string.Create(CultureInfo.InvariantCulture, $" ({d.TotalSeconds:0.###} s)")
        : string.Create(CultureInfo.InvariantCulture, $" ({d:hh\\:mm\\:ss})");
}
