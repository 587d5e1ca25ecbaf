using System.Globalization;
using Microsoft.Extensions.Options;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Platform.RateLimiting;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// Sign-in with an API key or token: the server checks it as the API does and answers with a session cookie
/// (HttpOnly, SameSite=Strict, Secure over HTTPS). The key never goes back to the browser.
/// </summary>
internal static class SignIn
{
    public const int MaxCredentialLength = 4096;

    public static IResult Form(HttpContext context, DashboardMount mount, IOptions<OrchestrationHttpOptions> options, string? problem = null, int status = StatusCodes.Status200OK)
    {
        if (!options.Value.Auth.Enabled) return Results.Redirect(mount.Path("/"));
        problem ??= context.Request.Query["reason"] is { Count: > 0 } reason ? $"Your session ended: {reason}." : null;
        var html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            + "<title>Sign in · Orchestration</title><link rel=\"stylesheet\" href=\"" + Html.E(mount.Path("/assets/dashboard.css")) + "\"></head><body>"
            + "<header><nav aria-label=\"Main\"><span class=\"brand\">Orchestration</span></nav></header><main id=\"main\" class=\"signin\"><h1>Sign in to the dashboard</h1>"
            + (problem is null ? "" : "<p class=\"notice\" role=\"alert\">" + Html.E(problem) + "</p>")
            + "<form method=\"post\" action=\"" + Html.E(mount.Path("/sign-in")) + "\">"
            + "<label for=\"key\">API key or token</label><input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"off\" required maxlength=\"" + MaxCredentialLength.ToString(CultureInfo.InvariantCulture) + "\">"
            + "<p class=\"muted\">The key is checked once here and kept on the server; your browser only holds a session cookie, which ends after "
            + DashboardSessions.Lifetime.TotalHours.ToString(CultureInfo.InvariantCulture) + " hours, when you sign out, or when the key is revoked.</p>"
            + "<button type=\"submit\">Sign in</button></form></main></body></html>";
        return Results.Content(html, "text/html; charset=utf-8", statusCode: status);
    }

    public static async Task<IResult> PostAsync(HttpContext context, DashboardMount mount, DashboardSessions sessions, CallerAuthenticator authenticator, ApiRateLimiter limiter,
        IOptions<OrchestrationHttpOptions> options)
    {
        if (!options.Value.Auth.Enabled) return Results.Redirect(mount.Path("/"));
        if (!DashboardFilter.SameOrigin(context)) return ErrorWriter.Result(StatusCodes.Status403Forbidden, "Cross-origin form posts are refused");
        if (!context.Request.HasFormContentType) return ErrorWriter.Result(StatusCodes.Status415UnsupportedMediaType, "Sign in with a form post (application/x-www-form-urlencoded)");
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var key = form["key"].ToString().Trim();
        if (key.Length is 0 or > MaxCredentialLength) return Form(context, mount, options, "Enter an API key or token.", StatusCodes.Status400BadRequest);

        var auth = await DashboardFilter.Authenticate(context, authenticator, key);
        // Counted like any API request, failures per client IP: guessing keys here costs what it costs on the API.
        if (!limiter.TryAcquire(limiter.TargetFor(auth.Caller, context), context, out var retryAfter))
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return ErrorWriter.Result(StatusCodes.Status429TooManyRequests, ErrorWriter.MessageFor(429));
        }

        if (auth.Caller is null) return Form(context, mount, options, $"Sign-in refused: {auth.Hint ?? auth.Failure}.", StatusCodes.Status401Unauthorized);
        var session = sessions.Create(key);
        DashboardFilter.SetCookie(context, mount, session);
        return Results.Redirect(mount.Path("/"));
    }

    public static IResult SignOut(HttpContext context, DashboardMount mount, DashboardSessions sessions)
    {
        sessions.End(DashboardFilter.SessionOf(context).Id);
        context.Response.Cookies.Delete(DashboardFilter.CookieName, new CookieOptions { Path = mount.CookiePath });
        return Results.Redirect(mount.Path("/sign-in"));
    }
}
