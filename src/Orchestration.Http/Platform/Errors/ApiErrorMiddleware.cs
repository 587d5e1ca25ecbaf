using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.RateLimiting;

namespace Orchestration.Http.Platform.Errors;

/// <summary>
/// Outermost guard for API paths (every path with <c>Orchestration:Http:JsonErrorsOnAllPaths</c>): caps URL, header and
/// body size, turns anything that escaped the endpoint into a JSON error
/// without a stack trace, and gives bodiless errors produced by routing (404 unknown path, 405 wrong method) the
/// platform's error body. Installed by a startup filter so hosts need no extra <c>app.Use...</c> call.
/// </summary>
internal sealed class ApiErrorMiddleware(RequestDelegate next, IOptions<OrchestrationHttpOptions> options, CallerAuthenticator authenticator,
    ApiRateLimiter limiter, ILogger<ApiErrorMiddleware> logger)
{
    private readonly long _maxBody = options.Value.Http.MaxRequestBodyBytes;
    private readonly int _maxUrl = options.Value.Http.MaxUrlLength;
    private readonly int _maxHeaders = options.Value.Http.MaxRequestHeadersBytes;
    private readonly bool _allPaths = options.Value.Http.JsonErrorsOnAllPaths;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_allPaths && !IsApiPath(context.Request.Path))
        {
            await next(context);
            return;
        }

        var request = context.Request;
        if (request.PathBase.Value?.Length + request.Path.Value?.Length + request.QueryString.Value?.Length > _maxUrl)
        {
            await ErrorWriter.WriteAsync(context, StatusCodes.Status414UriTooLong, $"Request URL exceeds {_maxUrl} characters");
            return;
        }

        if (HeaderSize(request.Headers) > _maxHeaders)
        {
            await ErrorWriter.WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, $"Request headers exceed {_maxHeaders} bytes");
            return;
        }

        // Artifact uploads carry their own, larger limit, set by their endpoint (see ArtifactUploadPath).
        var artifactUpload = Formicary.ArtifactUploadPath.IsUpload(request);
        if (!artifactUpload && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = _maxBody;
        if (!artifactUpload && context.Request.ContentLength > _maxBody)
        {
            await ErrorWriter.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"Request body exceeds {_maxBody} bytes");
            return;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await ErrorWriter.WriteAsync(context, e.StatusCode, ErrorWriter.MessageFor(e.StatusCode));
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            logger.LogError(e, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            await ErrorWriter.WriteAsync(context, StatusCodes.Status500InternalServerError, ErrorWriter.MessageFor(500));
            return;
        }

        var response = context.Response;
        if (response.StatusCode >= 400 && !response.HasStarted && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType))
        {
            // Routing answered (unknown path, wrong method or media type) without reaching the platform filter; these
            // requests count against the caller's limit too, so probing paths is no way around it.
            if (!context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
                && !response.Headers.ContainsKey(WindowLease.LimitName))
            {
                var auth = await authenticator.AuthenticateAsync(context, context.RequestAborted);
                if (!limiter.TryAcquire(limiter.TargetFor(auth.Caller, context), context, out var retryAfter))
                {
                    response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await ErrorWriter.WriteAsync(context, StatusCodes.Status429TooManyRequests, ErrorWriter.MessageFor(429));
                    return;
                }
            }

            await ErrorWriter.WriteAsync(context, response.StatusCode, ErrorWriter.MessageFor(response.StatusCode));
        }
    }

    private static long HeaderSize(IHeaderDictionary headers)
    {
        long size = 0;
        foreach (var (name, values) in headers)
        {
            size += name.Length + 4; // ": " and CRLF
            foreach (var value in values) size += value?.Length ?? 0;
        }

        return size;
    }

    private static bool IsApiPath(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase);
}

internal sealed class ApiErrorStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<ApiErrorMiddleware>();
        next(app);
    };
}
