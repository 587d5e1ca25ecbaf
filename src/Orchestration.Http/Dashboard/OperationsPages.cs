using System.Globalization;
using System.Text;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// The operator's pages: executors (last heartbeat, what each runs now, its load), definitions and schedules (with the
/// next cron fire), webhooks (with their delivery log). Each asks for the permission of the API that shows the same.
/// </summary>
internal static class OperationsPages
{
    private const int MaxRunningTasks = 1000;

    public static async Task<IResult> ExecutorsAsync(DashboardView view, IOrchestrationClient client, IExecutorRegistry registry, TimeProvider time)
    {
        Require(view, Permissions.OpsRead);
        var ct = view.Context.RequestAborted;
        var executors = await registry.ListExecutorsAsync(view.Caller.OrgId, ct);
        var running = await client.Queries.ListTasksAsync(new TaskQuery
        {
            OrgId = view.Caller.OrgId, Status = TaskRunStatus.Running, Limit = MaxRunningTasks, MaxPayloadChars = 0,
        }, ct);
        var byExecutor = running.Items.Where(t => t.ExecutorId is not null).GroupBy(t => t.ExecutorId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var now = time.GetUtcNow();

        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"count\">{executors.Count} executor{(executors.Count == 1 ? "" : "s")} seen; {running.Total} task{(running.Total == 1 ? "" : "s")} running now.</p>");
        html.Append("<table><thead><tr><th scope=\"col\">Executor</th><th scope=\"col\">Last heartbeat</th><th scope=\"col\">Running now</th><th scope=\"col\">Load</th><th scope=\"col\">Types</th><th scope=\"col\">Jobs completed</th></tr></thead><tbody>");
        var names = executors.Select(e => e.ExecutorId).Concat(byExecutor.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var id in names)
        {
            var record = executors.FirstOrDefault(e => e.ExecutorId == id);
            var tasks = byExecutor.GetValueOrDefault(id) ?? [];
            html.Append("<tr><td><code>").Append(Html.E(id)).Append("</code></td><td>")
                .Append(record is null ? "in-process worker" : Html.E(record.LastSeen) + Html.E($" ({Ago(now - record.LastSeen)} ago)")).Append("</td><td>");
            foreach (var t in tasks.Take(5))
                html.Append("<a href=\"").Append(Html.E(view.Path($"/runs/{t.RunId:D}"))).Append("\">").Append(Html.E(t.Name)).Append("</a> ");
            if (tasks.Count > 5) html.Append(CultureInfo.InvariantCulture, $"and {tasks.Count - 5} more");
            html.Append("</td><td>").Append(record?.Capacity is { } capacity and > 0 ? Html.E($"{tasks.Count} / {capacity}") : Html.E(tasks.Count))
                .Append("</td><td>").Append(Html.E(record?.Types is { } types ? string.Join(", ", types) : "")).Append("</td><td>")
                .Append(Html.E(record?.JobsCompleted)).Append("</td></tr>");
        }

        html.Append("</tbody></table>");
        DashboardLayout.NoStore(view.Context);
        return DashboardLayout.Page(view, "Executors", "/executors", html.ToString());
    }

    public static async Task<IResult> DefinitionsAsync(DashboardView view, IDefinitionStore definitions, IScheduleStore schedules)
    {
        var ct = view.Context.RequestAborted;
        var html = new StringBuilder();
        var all = await schedules.ListSchedulesAsync(view.Caller.OrgId, null, ct);
        var visible = all.Where(s => FamilyAccess.For(s.Family).CanRead(view.Caller)).ToList();

        if (view.Caller.Has(Permissions.JobDefinitionQuery))
        {
            var page = await definitions.ListDefinitionsAsync(new DefinitionQuery { OrgId = view.Caller.OrgId, Limit = 200 }, ct);
            html.Append("<h2>Definitions</h2>");
            if (page.Items.Count == 0) html.Append("<p class=\"muted\">No definitions.</p>");
            else
            {
                html.Append("<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Version</th><th scope=\"col\">State</th><th scope=\"col\">Cron</th><th scope=\"col\">Next fire</th><th scope=\"col\">Tags</th><th scope=\"col\">Action</th></tr></thead><tbody>");
                foreach (var d in page.Items)
                {
                    var schedule = visible.FirstOrDefault(s => s.Family == Formicary.FormicaryJson.Family && s.Name == d.Name);
                    html.Append("<tr><td><a href=\"").Append(Html.E(view.Path("/runs") + Html.Query(("family", Formicary.FormicaryJson.Family), ("type", d.Name)))).Append("\">")
                        .Append(Html.E(d.Name)).Append("</a></td><td>").Append(Html.E(d.Version)).Append("</td><td>").Append(d.Disabled ? "disabled" : "enabled")
                        .Append("</td><td><code>").Append(Html.E(schedule?.Cron)).Append("</code></td><td>").Append(Html.Time(schedule is { Paused: false } ? schedule.NextFireAt : null))
                        .Append("</td><td>").Append(Html.E(string.Join(", ", d.Tags))).Append("</td><td data-definition=\"").Append(Html.E(d.Name)).Append("\">");
                    var (verb, permission) = d.Disabled ? ("enable", Permissions.JobDefinitionEnable) : ("disable", Permissions.JobDefinitionDisable);
                    if (view.Caller.Has(permission))
                        html.Append(view.Form(view.Path($"/definitions/{Html.Url(d.Name)}/{verb}"), d.Disabled ? "Enable" : "Disable", d.Disabled ? "" : "danger"));
                    html.Append("</td></tr>");
                }

                html.Append("</tbody></table>");
                if (page.Total > page.Items.Count) html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">The first {page.Items.Count} of {page.Total} definitions.</p>");
            }
        }

        html.Append("<h2>Schedules</h2>");
        if (visible.Count == 0) html.Append("<p class=\"muted\">No schedules.</p>");
        else
        {
            html.Append("<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Family</th><th scope=\"col\">Cron</th><th scope=\"col\">Time zone</th><th scope=\"col\">Next fire</th><th scope=\"col\">Last fired</th><th scope=\"col\">Action</th></tr></thead><tbody>");
            foreach (var s in visible)
            {
                html.Append("<tr><td>").Append(Html.E(s.Name)).Append("</td><td>").Append(Html.E(FamilyAccess.For(s.Family).Label)).Append("</td><td><code>").Append(Html.E(s.Cron))
                    .Append("</code></td><td>").Append(Html.E(s.TimeZone)).Append("</td><td>").Append(s.Paused ? "paused" : Html.Time(s.NextFireAt))
                    .Append("</td><td>").Append(Html.Time(s.LastFiredAt)).Append("</td><td data-schedule=\"").Append(Html.E(s.Family + "/" + s.Name)).Append("\">");
                if (DashboardSchedules.CanSet(view.Caller, s.Family, pause: !s.Paused))
                    html.Append(view.Form(view.Path($"/schedules/{Html.Url(s.Family)}/{Html.Url(s.Name)}/{(s.Paused ? "resume" : "pause")}"), s.Paused ? "Resume" : "Pause", s.Paused ? "" : "danger"));
                html.Append("</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        DashboardLayout.NoStore(view.Context);
        return DashboardLayout.Page(view, "Definitions and schedules", "/definitions", html.ToString());
    }

    public static async Task<IResult> WebhooksAsync(DashboardView view, IWebhookStore webhooks)
    {
        Require(view, Permissions.WebhooksManage);
        var ct = view.Context.RequestAborted;
        var endpoints = await webhooks.ListWebhooksAsync(view.Caller.OrgId, ct);
        var html = new StringBuilder();
        if (endpoints.Count == 0) html.Append("<p class=\"muted\">No webhooks.</p>");
        foreach (var endpoint in endpoints)
        {
            html.Append("<section class=\"webhook\"><h2>").Append(Html.E(endpoint.Url)).Append("</h2><p>")
                .Append(endpoint.Enabled ? "enabled" : "disabled" + (endpoint.DisabledReason is null ? "" : ": " + Html.E(endpoint.DisabledReason)))
                .Append(" · events: ").Append(Html.E(string.Join(", ", endpoint.Events))).Append("</p>");
            var deliveries = await webhooks.ListWebhookDeliveriesAsync(view.Caller.OrgId, endpoint.Id, 25, ct);
            if (deliveries.Count == 0)
            {
                html.Append("<p class=\"muted\">No deliveries yet.</p></section>");
                continue;
            }

            html.Append("<table><thead><tr><th scope=\"col\">Event</th><th scope=\"col\">Run</th><th scope=\"col\">Status</th><th scope=\"col\">Attempts</th><th scope=\"col\">Last answer</th><th scope=\"col\">Created</th></tr></thead><tbody>");
            foreach (var d in deliveries)
                html.Append("<tr><td>").Append(Html.E(d.EventType)).Append("</td><td><a href=\"").Append(Html.E(view.Path($"/runs/{d.RunId:D}"))).Append("\">")
                    .Append(Html.E(d.RunId.ToString("D")[..8])).Append("…</a></td><td>").Append(Html.Status(d.Status)).Append("</td><td>").Append(Html.E(d.Attempts))
                    .Append("</td><td>").Append(Html.E(d.LastStatusCode)).Append(' ').Append(Html.E(d.LastError)).Append("</td><td>").Append(Html.E(d.CreatedAt)).Append("</td></tr>");
            html.Append("</tbody></table></section>");
        }

        DashboardLayout.NoStore(view.Context);
        return DashboardLayout.Page(view, "Webhooks", "/webhooks", html.ToString());
    }

    /// <summary>
    /// Enables or disables every version of a definition and resumes or pauses its cron schedule, as the Formicary API's
    /// enable and disable do, under the same permissions.
    /// </summary>
    public static async Task<IResult> SetDefinitionDisabledAsync(DashboardView view, IDefinitionStore definitions, IScheduleClient schedules, string name, bool disabled)
    {
        Require(view, disabled ? Permissions.JobDefinitionDisable : Permissions.JobDefinitionEnable);
        var ct = view.Context.RequestAborted;
        if (name.Length > 200 || !await definitions.SetDefinitionDisabledAsync(view.Caller.OrgId, name, disabled, ct)) throw ApiException.NotFound("Job definition");
        // A definition without a cron trigger has no schedule: pausing or resuming finds none and does nothing.
        _ = disabled
            ? await schedules.PauseScheduleAsync(view.Caller.OrgId, Formicary.FormicaryJson.Family, name, ct)
            : await schedules.ResumeScheduleAsync(view.Caller.OrgId, Formicary.FormicaryJson.Family, name, ct);
        return Results.Redirect(view.Path("/definitions"));
    }

    private static void Require(DashboardView view, string permission)
    {
        if (!view.Caller.Has(permission)) throw new ApiException(StatusCodes.Status403Forbidden, $"Missing permission '{permission}'");
    }

    private static string Ago(TimeSpan t) => t.TotalSeconds < 90 ? $"{Math.Max(0, (int)t.TotalSeconds)} s" : t.TotalMinutes < 90 ? $"{(int)t.TotalMinutes} min" : $"{(int)t.TotalHours} h";
}
