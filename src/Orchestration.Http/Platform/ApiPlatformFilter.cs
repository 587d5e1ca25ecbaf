using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Platform.RateLimiting;

namespace Orchestration.Http.Platform;

/// <summary>
/// Runs before every API endpoint of every family: authenticate, count against the rate limit, refuse missing
/// credentials and permissions, then map exceptions to error bodies. Order matters: unauthenticated requests are
/// still counted (per IP), so guessing keys is rate limited too.
/// </summary>
internal sealed class ApiPlatformFilter(CallerAuthenticator authenticator, ApiRateLimiter limiter, ILogger<ApiPlatformFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var auth = await authenticator.AuthenticateAsync(context, context.RequestAborted);

        // Executor calls of an authenticated caller are counted per executor by the endpoint (ExecutorCallMetadata).
        var executorCall = auth.Caller is not null && context.GetEndpoint()?.Metadata.GetMetadata<ExecutorCallMetadata>() is not null;
        if (!executorCall && !limiter.TryAcquire(limiter.TargetFor(auth.Caller, context), context, out var retryAfter))
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return ErrorWriter.Result(StatusCodes.Status429TooManyRequests, ErrorWriter.MessageFor(429));
        }

        if (auth.Caller is not { } caller) return ErrorWriter.Unauthorized(auth);

        var required = context.GetEndpoint()?.Metadata.GetMetadata<PermissionMetadata>();
        if (required is null)
        {
            // Fail closed: an endpoint that forgot to declare its permission is unreachable rather than open.
            logger.LogError("Endpoint {Endpoint} declares no permission; refusing.", context.GetEndpoint()?.DisplayName);
            return ErrorWriter.Result(StatusCodes.Status403Forbidden, "Forbidden");
        }

        if (required.Permission != PermissionMetadata.AnyCaller && !caller.Has(required.Permission))
            return ErrorWriter.Result(StatusCodes.Status403Forbidden, $"Missing permission '{required.Permission}'");

        context.SetCaller(caller);
        try
        {
            return await next(invocation);
        }
        catch (ApiException e)
        {
            return ErrorWriter.Result(e.StatusCode, e.Message, e.Details);
        }
        catch (UniqueConflictException e)
        {
            return ErrorWriter.Result(StatusCodes.Status409Conflict, UniqueWire.ConflictMessage(e));
        }
        catch (OrchestrationValidationException e)
        {
            IReadOnlyList<FieldError>? details = e.Field is null ? null : [new FieldError(e.Field, e.Message)];
            return ErrorWriter.Result(StatusCodes.Status400BadRequest, e.Message, details);
        }
        catch (JsonException)
        {
            return ErrorWriter.Result(StatusCodes.Status400BadRequest, "Malformed JSON");
        }
        catch (BadHttpRequestException e)
        {
            return ErrorWriter.Result(e.StatusCode, ErrorWriter.MessageFor(e.StatusCode));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }
        catch (Exception e)
        {
            // Logged in full here, answered without detail: stack traces never go on the wire.
            logger.LogError(e, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            return ErrorWriter.Result(StatusCodes.Status500InternalServerError, ErrorWriter.MessageFor(500));
        }
    }
}
