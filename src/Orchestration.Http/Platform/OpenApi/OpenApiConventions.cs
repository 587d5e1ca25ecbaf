using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Orchestration.Http.Platform.Auth;

namespace Orchestration.Http.Platform.OpenApi;

/// <summary>
/// What makes the OpenAPI document usable by a client generator, applied to every document of a host that calls
/// <c>AddOpenApi()</c>: the bearer scheme declared once and required by every operation that asks for a caller (those
/// with a permission; health says explicitly that it needs none), a summary and a family tag on every operation that
/// has none, every tag described, the error bodies described once as components and the errors the platform itself
/// answers listed on every operation, and a server URL relative to where the document is served (see
/// <see cref="OpenApiErrors"/>). tools/openapi-lint lints the result; OpenApiLintTests runs it.
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
            operation.Security ??= [];
            // An empty requirement is how OpenAPI says "no credentials": without it a linter (and a reader) cannot tell
            // an anonymous operation from one whose security was forgotten.
            operation.Security.Add(metadata.OfType<PermissionMetadata>().Any()
                ? new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] }
                : new OpenApiSecurityRequirement());

            var path = "/" + (context.Description.RelativePath ?? "");
            if (string.IsNullOrWhiteSpace(operation.Summary))
                operation.Summary = Summary(context.Description.HttpMethod ?? "GET", path, operation.OperationId);
            if (operation.Tags is null || operation.Tags.Count == 0)
            {
                operation.Tags ??= new HashSet<OpenApiTagReference>();
                operation.Tags.Add(new OpenApiTagReference(Family(path), context.Document));
            }

            OpenApiErrors.AddPlatformErrors(operation, context);
            return Task.CompletedTask;
        });
        options.AddSchemaTransformer(OpenApiErrors.DescribeAsync);
        // Registered after the operation transformer, so the tags the operations use are all known here.
        options.AddDocumentTransformer((document, _, _) =>
        {
            RelativeServers(document);
            foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
                tag.Description ??= TagDescription(tag.Name);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// ASP.NET Core writes the address the document was fetched from (<c>http://host:port/</c>). Behind a proxy that is
    /// not the address clients use, and it would make the document differ per host and port, so the served document
    /// keeps only the path: OpenAPI reads a relative server URL against the document's own location.
    /// </summary>
    internal static void RelativeServers(OpenApiDocument document)
    {
        if (document.Servers is not { Count: > 0 } servers) return;
        foreach (var server in servers)
        {
            if (server.Url is null || !Uri.TryCreate(server.Url, UriKind.Absolute, out var uri)) continue;
            var path = uri.AbsolutePath.TrimEnd('/');
            server.Url = path.Length == 0 ? "/" : path;
        }
    }

    // Tag names as the families declare them (WithTags) or as Family() derives them.
    internal static string? TagDescription(string? tag) => tag switch
    {
        "Health" => "Liveness and database connectivity, without credentials.",
        "Admin" => "Orgs and API keys (permission `system` or `keys:manage`).",
        "Foreman runs" => "The Foreman API: runs (camelCase JSON, `runs:*` permissions).",
        "Foreman tasks" => "The Foreman API: tasks of open runs.",
        "Foreman run data" => "The Foreman API: per-run key/value entries with tags.",
        "Foreman config" => "The Foreman API's queue configuration; this host has no external queue and answers 501.",
        "Jobs" => "The job queue API: binary jobs (snake_case JSON, `jobs:*` permissions).",
        "Jobs executors" => "The job queue API's executor calls: claim, heartbeat, complete and fail a job.",
        "Executor protocol" => "The generic executor protocol: remote workers claim tasks of any family and report results.",
        "Jobs admin" => "The job queue API's queue statistics and executors (operator permission).",
        "Metrics" => "Prometheus text, or the workflows API's JSON for `Accept: application/json`.",
        "Workflows" => "The workflows API: task graphs with retries (snake_case JSON).",
        "Formicary" => "The Formicary API: job definitions, job requests, artifacts, ants, users (snake_case JSON).",
        "Webhooks" => "Webhook subscriptions and their deliveries (Standard Webhooks signatures).",
        "Events" => "The org's events after a sequence number, as JSON or server-sent events.",
        "Tasks" => "Tasks shared by the Foreman and workflows APIs.",
        "Job queue" => "The job queue API.",
        "Platform" => "Endpoints shared by every family.",
        _ => null,
    };

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
