using System.Globalization;
using System.Text;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// Runs of every family the caller may read, filtered on the server by family, status, type, creation time, a run data
/// tag or key, and a top-level input field (<c>field=value</c>).
/// </summary>
internal static class RunsPage
{
    public const int PageSize = 50;
    private const int MaxOffset = 100_000;
    private static readonly string[] TimeFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"];

    /// <summary>The filters as the form sends them; every value is checked, a bad one answers 400 naming it.</summary>
    internal sealed record Filters(string? Family, string? Status, string? Type, string? From, string? To, int Offset)
    {
        /// <summary>Only runs with a run data entry carrying this tag.</summary>
        public string? Tag { get; init; }

        /// <summary>Only runs with a run data entry under this key.</summary>
        public string? Key { get; init; }

        /// <summary>Only runs whose (or whose tasks') input has this top-level field and value, as <c>field=value</c>.</summary>
        public string? Input { get; init; }

        /// <summary>The filter fields, for links and the bulk form's hidden fields (offset aside).</summary>
        public IEnumerable<(string Name, string? Value)> Fields() =>
            [("family", Family), ("status", Status), ("type", Type), ("from", From), ("to", To), ("tag", Tag), ("key", Key), ("input", Input)];

        public string QueryString(int? offset = null) => Html.Query([.. Fields(),
            ("offset", (offset ?? Offset) is > 0 and var o ? o.ToString(CultureInfo.InvariantCulture) : null)]);

        public static Filters Read(HttpRequest request) => Read(name => request.Query[name]);

        public static Filters Read(Func<string, Microsoft.Extensions.Primitives.StringValues> source)
        {
            string? Get(string name) => source(name) is { Count: > 0 } v && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;
            var offsetText = Get("offset");
            var offset = 0;
            if (offsetText is not null && (!int.TryParse(offsetText, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset > MaxOffset))
                throw ApiException.Validation("offset", $"must be an integer from 0 to {MaxOffset}");
            var type = Get("type");
            if (type is { Length: > 200 }) throw ApiException.Validation("type", "must be at most 200 characters");
            var tag = Get("tag");
            if (tag is { Length: > 200 }) throw ApiException.Validation("tag", "must be at most 200 characters");
            var key = Get("key");
            if (key is { Length: > 255 }) throw ApiException.Validation("key", "must be at most 255 characters");
            var input = Get("input");
            if (input is not null) _ = InputTerm(input);
            return new Filters(Get("family"), Get("status"), type, Get("from"), Get("to"), offset) { Tag = tag, Key = key, Input = input };
        }

        /// <summary>
        /// <c>field=value</c> split at the first '='; the bounds are the index's, so a search that could never match
        /// answers 400 instead of an empty page.
        /// </summary>
        public static (string Field, string Value) InputTerm(string input)
        {
            var at = input.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0) throw ApiException.Validation("input", "must be field=value, e.g. customer=acme (a top-level field of the input)");
            var field = input[..at].Trim();
            var value = input[(at + 1)..].Trim();
            if (field.Length == 0) throw ApiException.Validation("input", "must name a field before '='");
            if (field.Length > RunQuery.MaxInputFieldChars) throw ApiException.Validation("input", $"field must be at most {RunQuery.MaxInputFieldChars} characters");
            if (value.Length > RunQuery.MaxInputValueChars) throw ApiException.Validation("input", $"value must be at most {RunQuery.MaxInputValueChars} characters (longer values are not indexed)");
            return (field, value);
        }
    }

    public static async Task<IResult> RenderAsync(DashboardView view, IOrchestrationClient client, bool fragmentOnly)
    {
        var filters = Filters.Read(view.Context.Request);
        var readable = FamilyAccess.Readable(view.Caller);
        if (readable.Count == 0) throw new ApiException(StatusCodes.Status403Forbidden, "This key may read no family's runs");
        var query = Query(view, filters, readable);
        var page = await client.Queries.ListRunsAsync(query, view.Context.RequestAborted);

        var table = Table(view, filters, page);
        DashboardLayout.NoStore(view.Context);
        if (fragmentOnly) return DashboardLayout.Fragment(table);
        var notice = view.Context.Request.Query["done"] is { Count: > 0 } done ? "<p class=\"done\" role=\"status\" id=\"bulk-result\">" + Html.E(done.ToString()) + "</p>" : "";
        var body = notice + FilterForm(filters, readable, query.Family) + BulkForm(view, filters, query, page.Total) + "<div id=\"live\" aria-live=\"polite\">" + table + "</div>";
        var self = view.Path("/runs") + filters.QueryString();
        return DashboardLayout.Page(view, "Runs", "/runs", body, live: view.Path("/live"), fragment: self + (self.Contains('?') ? "&" : "?") + "fragment=1");
    }

    internal static RunQuery Query(DashboardView view, Filters filters, IReadOnlyList<FamilyAccess> readable)
    {
        string? family;
        if (filters.Family is { } requested)
        {
            var access = FamilyAccess.Known.FirstOrDefault(f => string.Equals(f.Family, requested, StringComparison.Ordinal))
                ?? throw ApiException.Validation("family", $"must be one of {string.Join(", ", FamilyAccess.Known.Select(f => f.Family))}");
            if (!access.CanRead(view.Caller)) throw new ApiException(StatusCodes.Status403Forbidden, $"Missing permission '{access.Read}'");
            family = access.Family;
        }
        else
        {
            // "Every family" is one query only for a caller who may read them all; otherwise the first it may read.
            family = readable.Count == FamilyAccess.Known.Count ? null : readable[0].Family;
        }

        RunStatus? status = null;
        if (filters.Status is { } s)
            status = StatusNames.TryParseRunStatus(s, out var parsed) ? parsed : throw ApiException.Validation("status", "must be one of pending, running, completed, failed, cancelled");
        var from = Time(filters.From, "from");
        var to = Time(filters.To, "to");
        if (from is not null && to is not null && to <= from) throw ApiException.Validation("to", "must be after from");
        (string Field, string Value)? input = filters.Input is { } text ? Filters.InputTerm(text) : null;
        return new RunQuery
        {
            OrgId = view.Caller.OrgId, Family = family, Status = status, Names = filters.Type is { } type ? [type] : null,
            CreatedFrom = from, CreatedBefore = to, Limit = PageSize, Offset = filters.Offset, MaxPayloadChars = 0,
            Tag = filters.Tag, DataKey = filters.Key, InputField = input?.Field, InputValue = input?.Value,
        };
    }

    private static DateTimeOffset? Time(string? text, string field)
    {
        if (text is null) return null;
        if (DateTime.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var utc))
            return new DateTimeOffset(utc, TimeSpan.Zero);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var any)) return any;
        throw ApiException.Validation(field, "must be a date and time such as 2026-01-31T10:00 (UTC)");
    }

    private static string FilterForm(Filters filters, IReadOnlyList<FamilyAccess> readable, string? effectiveFamily)
    {
        var html = new StringBuilder("<form method=\"get\" class=\"filters\" role=\"search\" aria-label=\"Filter runs\">");
        html.Append("<label>Family <select name=\"family\" id=\"filter-family\">");
        if (readable.Count == FamilyAccess.Known.Count) html.Append("<option value=\"\">every family</option>");
        foreach (var f in readable)
            html.Append("<option value=\"").Append(Html.E(f.Family)).Append('"').Append(f.Family == effectiveFamily ? " selected" : "").Append('>').Append(Html.E(f.Label)).Append("</option>");
        html.Append("</select></label><label>Status <select name=\"status\" id=\"filter-status\"><option value=\"\">any status</option>");
        foreach (var s in Enum.GetValues<RunStatus>())
        {
            var wire = s.ToWire();
            html.Append("<option value=\"").Append(wire).Append('"').Append(wire == filters.Status ? " selected" : "").Append('>').Append(wire).Append("</option>");
        }

        html.Append("</select></label>")
            .Append("<label>Type <input type=\"text\" name=\"type\" id=\"filter-type\" value=\"").Append(Html.E(filters.Type)).Append("\" placeholder=\"run name or job type\"></label>")
            .Append("<label>From (UTC) <input type=\"datetime-local\" name=\"from\" id=\"filter-from\" value=\"").Append(Html.E(filters.From)).Append("\"></label>")
            .Append("<label>To (UTC) <input type=\"datetime-local\" name=\"to\" id=\"filter-to\" value=\"").Append(Html.E(filters.To)).Append("\"></label>")
            .Append("<label>Tag <input type=\"text\" name=\"tag\" id=\"filter-tag\" value=\"").Append(Html.E(filters.Tag)).Append("\" placeholder=\"run data tag\"></label>")
            .Append("<label>Data key <input type=\"text\" name=\"key\" id=\"filter-key\" value=\"").Append(Html.E(filters.Key)).Append("\" placeholder=\"run data key\"></label>")
            .Append("<label>Input <input type=\"text\" name=\"input\" id=\"filter-input\" value=\"").Append(Html.E(filters.Input)).Append("\" placeholder=\"field=value\"></label>")
            .Append("<button type=\"submit\">Filter</button></form>");
        return html.ToString();
    }

    /// <summary>
    /// Offers the bulk action that fits the status filter (cancel unfinished runs, restart failed or cancelled ones), with
    /// the number of runs it will act on in its confirmation, when the caller holds the action's permission.
    /// </summary>
    private static string BulkForm(DashboardView view, Filters filters, RunQuery query, int total)
    {
        if (total == 0 || query.Status is not { } status) return "";
        var action = status is RunStatus.Pending or RunStatus.Running ? "cancel" : status is RunStatus.Failed or RunStatus.Cancelled ? "restart" : null;
        if (action is null) return "";
        var families = query.Family is { } f ? [FamilyAccess.For(f)] : FamilyAccess.Known;
        if (!families.Any(a => a.Can(view.Caller, action == "cancel" ? a.Cancel : a.Restart))) return "";
        var count = Math.Min(total, DashboardBulk.MaxRuns);
        var fields = new StringBuilder();
        foreach (var (name, value) in (filters with { Family = query.Family ?? filters.Family }).Fields().Append(("action", action)))
            if (value is not null) fields.Append("<input type=\"hidden\" name=\"").Append(name).Append("\" value=\"").Append(Html.E(value)).Append("\">");
        var label = (action == "cancel" ? "Cancel" : "Restart") + string.Create(CultureInfo.InvariantCulture, $" all {count} matching runs");
        return "<div class=\"bulk\">" + view.Form(view.Path("/runs/bulk"), label, action == "cancel" ? "danger" : "",
            confirm: string.Create(CultureInfo.InvariantCulture, $"{(action == "cancel" ? "Cancel" : "Restart")} {count} runs matching these filters?"), extraFields: fields.ToString()) + "</div>";
    }

    private static string Table(DashboardView view, Filters filters, Page<Run> page)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"count\" id=\"run-count\">{page.Total} run{(page.Total == 1 ? "" : "s")}</p>");
        if (page.Items.Count == 0) return html.Append("<p class=\"muted\">No run matches these filters.</p>").ToString();
        html.Append("<table class=\"runs\"><thead><tr><th scope=\"col\">Run</th><th scope=\"col\">Family</th><th scope=\"col\">Type</th><th scope=\"col\">Status</th><th scope=\"col\">Tasks</th><th scope=\"col\">Created</th></tr></thead><tbody>");
        foreach (var run in page.Items)
        {
            html.Append("<tr data-run=\"").Append(run.Id.ToString("D")).Append("\"><td><a href=\"").Append(Html.E(view.Path("/runs/" + run.Id.ToString("D")))).Append("\">")
                .Append(Html.E(run.Id.ToString("D")[..8])).Append("…</a></td><td>").Append(Html.E(FamilyAccess.For(run.Family).Label)).Append("</td><td>").Append(Html.E(run.Name))
                .Append("</td><td>").Append(Html.Status(run.Status.ToWire())).Append("</td><td>")
                .Append(CultureInfo.InvariantCulture, $"{run.CompletedTasks}/{run.TotalTasks}{(run.FailedTasks > 0 ? $" ({run.FailedTasks} failed)" : "")}")
                .Append("</td><td>").Append(Html.E(run.CreatedAt)).Append("</td></tr>");
        }

        html.Append("</tbody></table><nav class=\"pager\" aria-label=\"Pages\">");
        if (filters.Offset > 0)
            html.Append("<a href=\"").Append(Html.E(view.Path("/runs") + filters.QueryString(Math.Max(0, filters.Offset - PageSize)))).Append("\">Newer</a>");
        if (filters.Offset + page.Items.Count < page.Total)
            html.Append("<a href=\"").Append(Html.E(view.Path("/runs") + filters.QueryString(filters.Offset + PageSize))).Append("\">Older</a>");
        return html.Append("</nav>").ToString();
    }
}
