using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Orchestration.Http.Jobs.Contracts;
using Orchestration.Http.Platform.Errors;

namespace Orchestration.Http.Platform.OpenApi;

/// <summary>
/// The error bodies in the OpenAPI document. There are two envelopes, each a component referenced by every response
/// that uses it: <see cref="ErrorBody"/> (<c>{"error", "details"}</c>, every family) and the job queue API's
/// <see cref="JobsErrorBody"/> (<c>{"error", "context"}</c>, its own validation and state errors; auth, permission and
/// rate-limit refusals come from the platform and so use the shared one). Endpoints declare the errors they answer
/// themselves; this adds the ones the platform answers for every endpoint, so no endpoint has to repeat them.
/// </summary>
internal static class OpenApiErrors
{
    public const string ErrorSchema = nameof(ErrorBody);
    public const string JobsErrorSchema = nameof(JobsErrorBody);

    /// <summary>
    /// Adds what the platform answers before or around the endpoint: 400 and 413 for a request body (read by
    /// <see cref="JsonBody"/>: malformed, empty, not UTF-8, too large), 414 and 431 for an oversized URL or headers
    /// (<see cref="ApiErrorMiddleware"/>, every API path). A 400 the endpoint declares itself is left as it is.
    /// </summary>
    public static void AddPlatformErrors(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        operation.Responses ??= [];
        var family = UsesJobsEnvelope(context) ? JobsErrorSchema : ErrorSchema;
        if (operation.RequestBody is not null)
        {
            Add(operation, context, StatusCodes.Status400BadRequest, family);
            // Over the limit is refused by the middleware from Content-Length, before the family's error filter.
            Add(operation, context, StatusCodes.Status413PayloadTooLarge, ErrorSchema);
        }

        Add(operation, context, StatusCodes.Status414UriTooLong, ErrorSchema);
        Add(operation, context, StatusCodes.Status431RequestHeaderFieldsTooLarge, ErrorSchema);
    }

    /// <summary>Descriptions for the error components, which a client generator turns into its exception types' docs.</summary>
    public static Task DescribeAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type == typeof(ErrorBody))
        {
            schema.Description = "The error body of every family: what went wrong in `error`; per-field problems in `details` for validation errors and failed credentials.";
            Describe(schema, "error", "What went wrong, for people. Always present.");
            Describe(schema, "details", "Per-field validation errors; absent otherwise.");
        }
        else if (type == typeof(FieldError))
        {
            schema.Description = "One problem with one request field.";
            Describe(schema, "field", "The request field (or header), as named on the wire.");
            Describe(schema, "message", "What is wrong with it.");
        }
        else if (type == typeof(JobsErrorBody))
        {
            schema.Description = "The job queue API's error body: what went wrong in `error`, and in `context` the field, job id, status or unique key it concerns.";
            Describe(schema, "error", "What went wrong, for people. Always present.");
            Describe(schema, "context", "Keys such as `field`, `job_id`, `status`, `unique_key`; absent when there is nothing to add.");
        }

        return Task.CompletedTask;
    }

    private static bool UsesJobsEnvelope(OpenApiOperationTransformerContext context) =>
        context.Description.SupportedResponseTypes.Any(r => r.Type == typeof(JobsErrorBody));

    private static void Add(OpenApiOperation operation, OpenApiOperationTransformerContext context, int status, string schema)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key)) return;
        operation.Responses[key] = new OpenApiResponse
        {
            Description = ErrorWriter.MessageFor(status),
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = new OpenApiSchemaReference(schema, context.Document) },
            },
        };
    }

    private static void Describe(OpenApiSchema schema, string property, string description)
    {
        if (schema.Properties?.TryGetValue(property, out var value) == true && value is OpenApiSchema concrete) concrete.Description = description;
    }
}
