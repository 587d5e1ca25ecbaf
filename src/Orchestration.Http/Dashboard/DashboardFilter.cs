using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Platform.RateLimiting;
using Orchestration.Storage;

namespace Orchestration.Http.Dashboard;

/// <summary>Marks the dashboard endpoints a browser reaches before signing in (the sign-in page, the static assets).</summary>
internal sealed class DashboardPublicMetadata;

/// <summary>
/// Runs before every dashboard endpoint: security headers, then the session cookie turned back into a caller by the same
/// authenticator the API uses, the same rate limit, and the CSRF token on every POST. Permission checks stay with each
/// action, which asks for the permission its family's API asks for.
/// </summary>
internal sealed class DashboardFilter(DashboardMount mount, DashboardSessions sessions, CallerAuthenticator authenticator, ApiRateLimiter limiter,
    IOptions<OrchestrationHttpOptions> options, ILogger<DashboardFilter> logger) : IEndpointFilter
{
    public const string CookieName = "orch_dashboard";
    public const string CsrfField = "_csrf";

    // No inline script or style anywhere: the pages load one script and one style sheet from the dashboard itself.
    private const string ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    private static readonly object SessionKey = new();

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        SetSecurityHeaders(context.Response);
        if (context.GetEndpoint()?.Metadata.GetMetadata<DashboardPublicMetadata>() is not null) return await next(invocation);

        var cookie = context.Request.Cookies[CookieName];
        var session = sessions.Find(cookie);
        if (session is null && !options.Value.Auth.Enabled)
        {
            // Auth off (local development): every browser gets a session without a credential, so CSRF still applies.
            session = sessions.Create(null);
            SetCookie(context, mount, session);
        }

        if (session is null) return NotSignedIn(context, sessions.EndedReason(cookie));

        var auth = await Authenticate(context, authenticator, session.Credential);
        if (!limiter.TryAcquire(limiter.TargetFor(auth.Caller, context), context, out var retryAfter))
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return ErrorWriter.Result(StatusCodes.Status429TooManyRequests, ErrorWriter.MessageFor(429));
        }

        if (auth.Caller is not { } caller)
        {
            // Revoked or expired since sign-in: the session ends with its credential, and keeps the reason for the page.
            sessions.End(session.Id, auth.Hint ?? "the key is no longer accepted");
            return NotSignedIn(context, auth.Hint);
        }

        if (HttpMethods.IsPost(context.Request.Method))
        {
            if (!SameOrigin(context)) return ErrorWriter.Result(StatusCodes.Status403Forbidden, "Cross-origin form posts are refused");
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
            if (!DashboardSessions.CsrfMatches(session, form?[CsrfField].ToString()))
                return ErrorWriter.Result(StatusCodes.Status403Forbidden, "CSRF token missing or invalid; reload the page and try again");
        }

        context.SetCaller(caller);
        context.Items[SessionKey] = session;
        try
        {
            return await next(invocation);
        }
        catch (ApiException e)
        {
            return ErrorWriter.Result(e.StatusCode, e.Message, e.Details);
        }
        catch (OrchestrationValidationException e)
        {
            return ErrorWriter.Result(StatusCodes.Status400BadRequest, e.Message);
        }
        catch (UndeclaredSearchFieldException e)
        {
            // The store's declared list is the truth (the host syncs it at start-up), so the check is the store's.
            var refused = ApiException.Validation("input", $"field '{e.Field}' is not searchable; declared input fields: "
                + (e.Declared.Count == 0 ? "none (SearchableInputFields is empty)" : string.Join(", ", e.Declared)));
            return ErrorWriter.Result(refused.StatusCode, refused.Message, refused.Details);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Unhandled error on dashboard {Method} {Path}", context.Request.Method, context.Request.Path);
            return ErrorWriter.Result(StatusCodes.Status500InternalServerError, ErrorWriter.MessageFor(500));
        }
    }

    public static DashboardSession SessionOf(HttpContext context) =>
        context.Items.TryGetValue(SessionKey, out var s) && s is DashboardSession session ? session : throw new InvalidOperationException("No dashboard session.");

    /// <summary>
    /// The credential goes through the API's own authenticator, which reads the Authorization header: the session puts
    /// it there for this request only, so keys and JWTs are checked exactly as the API checks them (revocation included).
    /// </summary>
    public static Task<AuthResult> Authenticate(HttpContext context, CallerAuthenticator authenticator, string? credential)
    {
        context.Request.Headers.Authorization = credential is null ? default : "Bearer " + credential;
        return authenticator.AuthenticateAsync(context, context.RequestAborted);
    }

    public static void SetCookie(HttpContext context, DashboardMount mount, DashboardSession session) =>
        context.Response.Cookies.Append(CookieName, session.Id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = mount.CookiePath,
            Expires = session.ExpiresAt,
            IsEssential = true,
        });

    /// <summary>
    /// A browser sends Origin on every POST; when it names another site the post is refused whatever it carries.
    /// Requests without Origin (older clients, tests) still need the CSRF token.
    /// </summary>
    public static bool SameOrigin(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin)) return true;
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Scheme, context.Request.Scheme, StringComparison.OrdinalIgnoreCase);
    }

    private IResult NotSignedIn(HttpContext context, string? hint)
    {
        // A page view goes to the sign-in form; a fragment, stream or action gets the API's 401 body.
        // Only the page view drops the dead cookie: a fragment or the live stream finding out first leaves it, so the
        // page the browser opens next still finds the reason (DashboardSessions.EndedReason).
        if (HttpMethods.IsGet(context.Request.Method) && !context.Request.Query.ContainsKey("fragment") && !context.Request.Path.Value!.EndsWith("/live", StringComparison.Ordinal))
        {
            if (context.Request.Cookies.ContainsKey(CookieName)) context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = mount.CookiePath });
            return Results.Redirect(mount.Path("/sign-in") + Html.Query(("reason", hint)));
        }

        return ErrorWriter.Result(StatusCodes.Status401Unauthorized, "Not signed in to the dashboard" + (hint is null ? "" : $": {hint}"));
    }

    private static void SetSecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "same-origin";
    }
}

/// <summary>Where the dashboard is mounted; links, redirects and the cookie path are built from it.</summary>
internal sealed record DashboardMount(string Prefix)
{
    public string Path(string relative) => Prefix + relative;

    public string CookiePath => string.IsNullOrEmpty(Prefix) ? "/" : Prefix;
}
