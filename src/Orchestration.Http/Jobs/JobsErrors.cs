using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Jobs.Contracts;

namespace Orchestration.Http.Jobs;

/// <summary>An error of the jobs family, answered as <c>{"error": ..., "context": {...}}</c>.</summary>
internal sealed class JobsException(int statusCode, string message, IReadOnlyDictionary<string, string>? context = null) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public IReadOnlyDictionary<string, string>? Context { get; } = context;

    public static JobsException Field(string field, string message) =>
        new(StatusCodes.Status400BadRequest, $"{field} {message}", new Dictionary<string, string> { ["field"] = field });

    public static JobsException NotFound(Guid id) =>
        new(StatusCodes.Status404NotFound, "Job not found", new Dictionary<string, string> { ["job_id"] = id.ToString() });

    public static JobsException State(Guid id, string status, string message) =>
        new(StatusCodes.Status400BadRequest, message, new Dictionary<string, string> { ["job_id"] = id.ToString(), ["status"] = status });
}

/// <summary>
/// Inside the platform filter (auth and permissions already checked): turns the family's errors, and the platform's
/// own body and validation errors, into the job queue API reference's body with <c>context</c>.
/// </summary>
internal sealed class JobsErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        try
        {
            return await next(invocation);
        }
        catch (JobsException e)
        {
            return Write(e.StatusCode, e.Message, e.Context);
        }
        catch (Engine.UniqueConflictException e)
        {
            return Write(StatusCodes.Status409Conflict, Platform.UniqueWire.ConflictMessage(e), new Dictionary<string, string>
            {
                ["unique_key"] = e.Key,
                ["job_id"] = e.ExistingRun?.Id.ToString() ?? "",
            });
        }
        catch (ApiException e)
        {
            IReadOnlyDictionary<string, string>? context = e.Details is { Count: > 0 } d
                ? new Dictionary<string, string> { ["field"] = d[0].Field }
                : null;
            return Write(e.StatusCode, e.Message, context);
        }
    }

    public static IResult Write(int status, string message, IReadOnlyDictionary<string, string>? context) =>
        Results.Json(new JobsErrorBody(message, context), JobsJson.Options, "application/json", status);
}
