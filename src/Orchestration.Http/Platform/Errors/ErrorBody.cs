using System.Text.Json.Serialization;

namespace Orchestration.Http.Platform.Errors;

/// <summary>The body of every error response: <c>{"error": "...", "details": [...]}</c>, details only for validation errors.</summary>
/// <param name="Error">What went wrong, for people.</param>
/// <param name="Details">Per-field validation errors, or null.</param>
internal sealed record ErrorBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("details"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldError>? Details = null);

/// <summary>One validation error.</summary>
/// <param name="Field">The request field, as named on the wire.</param>
/// <param name="Message">What is wrong with it.</param>
internal sealed record FieldError(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("message")] string Message);
