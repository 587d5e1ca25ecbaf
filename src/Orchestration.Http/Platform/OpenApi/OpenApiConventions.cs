using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Orchestration.Http.Platform.Auth;

namespace Orchestration.Http.Platform.OpenApi;

/// <summary>
/// What makes the OpenAPI document usable by a client generator, applied to every document of a host that calls
/// <c>AddOpenApi()</c>: the bearer scheme declared once and required by every operation that asks for a caller (those
/// with a permission; health stays anonymous), and a summary and a family tag on every operation that has none.
/// </summary>
internal static class OpenApiConventions
{
    public const string SchemeName = "bearer";

    public static void Apply(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key (`Authorization: Bearer <key>`) or a token the host issued; see docs/security.md.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<PermissionMetadata>().Any())
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] });
            }

            var path = "/" + (context.Description.RelativePath ?? "");
            if (string.IsNullOrWhiteSpace(operation.Summary))
                operation.Summary = Summary(context.Description.HttpMethod ?? "GET", path, operation.OperationId);
            if (operation.Tags is null || operation.Tags.Count == 0)
            {
                operation.Tags ??= new HashSet<OpenApiTagReference>();
                operation.Tags.Add(new OpenApiTagReference(Family(path), context.Document));
            }

            return Task.CompletedTask;
        });
    }

    // "JobsClaim" reads as "Jobs claim"; an operation without a name is described by its method and path.
    internal static string Summary(string method, string path, string? operationId)
    {
        if (string.IsNullOrEmpty(operationId)) return $"{method.ToUpperInvariant()} {path}";
        var text = new System.Text.StringBuilder();
        foreach (var c in operationId)
        {
            if (char.IsUpper(c) && text.Length > 0) text.Append(' ').Append(char.ToLowerInvariant(c));
            else text.Append(c);
        }

        return text.ToString();
    }

    // The family a path belongs to, named as docs/api names it.
    internal static string Family(string path) => path switch
    {
        _ when path.StartsWith("/api/v1/runs", StringComparison.Ordinal) => "Foreman runs",
        _ when path.StartsWith("/api/v1/tasks", StringComparison.Ordinal) => "Tasks",
        _ when path.StartsWith("/api/v1/jobs", StringComparison.Ordinal) => "Job queue",
        _ when path.StartsWith("/api/v1/admin", StringComparison.Ordinal) => "Admin",
        _ when path.StartsWith("/api/v1/workflows", StringComparison.Ordinal) => "Workflows",
        _ when path.StartsWith("/api/v1/webhooks", StringComparison.Ordinal) => "Webhooks",
        _ when path.StartsWith("/api/v1/events", StringComparison.Ordinal) => "Events",
        _ when path.StartsWith("/api/v1/", StringComparison.Ordinal) => "Platform",
        _ when path.StartsWith("/api/", StringComparison.Ordinal) => "Formicary",
        _ => "Platform",
    };
}
