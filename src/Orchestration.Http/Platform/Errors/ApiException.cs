namespace Orchestration.Http.Platform.Errors;

/// <summary>
/// Thrown by endpoint code to answer with an error; the platform filter turns it into <see cref="ErrorBody"/>. Keeps
/// handlers linear instead of threading result types through every helper.
/// </summary>
internal sealed class ApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ApiException(int statusCode, string message, IReadOnlyList<FieldError>? details = null) : base(message)
    {
        StatusCode = statusCode;
        Details = details;
    }

    /// <summary>Creates a 400.</summary>
    public ApiException() : this(StatusCodes.Status400BadRequest, "Bad request") { }

    /// <summary>Creates a 400.</summary>
    public ApiException(string message) : this(StatusCodes.Status400BadRequest, message) { }

    /// <summary>Creates a 400.</summary>
    public ApiException(string message, Exception innerException) : base(message, innerException) => StatusCode = StatusCodes.Status400BadRequest;

    /// <summary>HTTP status.</summary>
    public int StatusCode { get; }

    /// <summary>Validation errors, or null.</summary>
    public IReadOnlyList<FieldError>? Details { get; }

    /// <summary>400 with one field error.</summary>
    public static ApiException Validation(string field, string message) => Validation([new FieldError(field, message)]);

    /// <summary>400 with several field errors.</summary>
    public static ApiException Validation(IReadOnlyList<FieldError> errors) =>
        // The summary repeats the details so clients that print only "error" still say what to fix.
        new(StatusCodes.Status400BadRequest, "Validation failed: " + string.Join("; ", errors.Select(e => $"{e.Field} {e.Message}")), errors);

    /// <summary>404.</summary>
    public static ApiException NotFound(string what) => new(StatusCodes.Status404NotFound, what + " not found");

    /// <summary>409.</summary>
    public static ApiException Conflict(string message) => new(StatusCodes.Status409Conflict, message);
}
