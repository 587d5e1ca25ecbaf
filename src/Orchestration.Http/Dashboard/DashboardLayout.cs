using System.Text;
using Orchestration.Http.Platform.Auth;

namespace Orchestration.Http.Dashboard;

/// <summary>What a page needs to render for the signed-in caller.</summary>
internal sealed record DashboardView(HttpContext Context, Caller Caller, DashboardSession Session, DashboardMount Mount, bool AuthEnabled)
{
    public string Path(string relative) => Mount.Path(relative);

    /// <summary>The hidden field every form carries; the filter refuses a POST without it.</summary>
    public string Csrf => $"<input type=\"hidden\" name=\"{DashboardFilter.CsrfField}\" value=\"{Html.E(Session.CsrfToken)}\">";

    public string Form(string action, string label, string buttonClass = "", string? confirm = null, string extraFields = "") =>
        $"<form method=\"post\" action=\"{Html.E(action)}\" class=\"inline\"{(confirm is null ? "" : $" data-confirm=\"{Html.E(confirm)}\"")}>{Csrf}{extraFields}"
        + $"<button type=\"submit\" class=\"{Html.E(buttonClass)}\">{Html.E(label)}</button></form>";
}

/// <summary>The page shell: navigation, the auth-off banner, the one style sheet and the one script.</summary>
internal static class DashboardLayout
{
    private static readonly (string Path, string Label)[] Nav = [("/", "Overview"), ("/runs", "Runs"), ("/executors", "Executors"), ("/definitions", "Definitions"), ("/webhooks", "Webhooks")];

    public static IResult Page(DashboardView view, string title, string active, string body, string? live = null, string? fragment = null)
    {
        var html = new StringBuilder(4096);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Html.E(title)).Append(" · Orchestration</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(Html.E(view.Path("/assets/dashboard.css"))).Append("\">")
            .Append("<script src=\"").Append(Html.E(view.Path("/assets/dashboard.js"))).Append("\" defer></script></head>")
            .Append("<body");
        if (live is not null) html.Append(" data-live=\"").Append(Html.E(live)).Append('"');
        if (fragment is not null) html.Append(" data-fragment=\"").Append(Html.E(fragment)).Append('"');
        html.Append('>');
        if (!view.AuthEnabled)
            html.Append("<div class=\"banner\" role=\"alert\">Authentication is off (Orchestration:Auth:Enabled=false): anyone who can reach this host can see and act on every run. Use it for local development only.</div>");
        html.Append("<header><nav aria-label=\"Main\"><span class=\"brand\">Orchestration</span><ul>");
        foreach (var (path, label) in Nav)
        {
            var current = string.Equals(path, active, StringComparison.Ordinal) ? " aria-current=\"page\"" : "";
            html.Append("<li><a href=\"").Append(Html.E(view.Path(path))).Append('"').Append(current).Append('>').Append(Html.E(label)).Append("</a></li>");
        }

        html.Append("</ul><span class=\"who\">org <strong>").Append(Html.E(view.Caller.OrgId)).Append("</strong></span>");
        if (view.AuthEnabled) html.Append(view.Form(view.Path("/sign-out"), "Sign out", "link"));
        html.Append("</nav></header><main id=\"main\"><h1>").Append(Html.E(title)).Append("</h1>").Append(body).Append("</main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    /// <summary>The part of a page that live updates replace, served alone.</summary>
    public static IResult Fragment(string html) => Results.Content(html, "text/html; charset=utf-8");

    public static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";
}
