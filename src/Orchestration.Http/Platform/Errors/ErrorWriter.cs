using System.Text.Json;

namespace Orchestration.Http.Platform.Errors;

/// <summary>The one error writer every family uses.</summary>
internal static class ErrorWriter
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>An error result.</summary>
    public static IResult Result(int statusCode, string message, IReadOnlyList<FieldError>? details = null) =>
        Results.Json(new ErrorBody(message, details), Options, "application/json", statusCode);

    /// <summary>A 401 for a failed credential: Foreman's message in <c>error</c>, what to fix in <c>details</c>.</summary>
    internal static IResult Unauthorized(Auth.AuthResult auth) =>
        Result(StatusCodes.Status401Unauthorized, auth.Failure ?? MessageFor(401), auth.Hint is null ? null : [new FieldError("Authorization", auth.Hint)]);

    /// <summary>Writes an error directly (middleware, outside endpoint results).</summary>
    public static Task WriteAsync(HttpContext context, int statusCode, string message, IReadOnlyList<FieldError>? details = null)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new ErrorBody(message, details), Options), context.RequestAborted);
    }

    /// <summary>A short message for a bare status code.</summary>
    public static string MessageFor(int statusCode) => statusCode switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        408 => "Request timeout",
        413 => "Request body too large",
        414 => "Request URL too long",
        415 => "Unsupported media type",
        429 => "Rate limit exceeded. Try again later.",
        431 => "Request headers too large",
        >= 500 => "Internal server error",
        _ => "Request failed",
    };
}
