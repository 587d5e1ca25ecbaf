using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Orchestration.Artifacts;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Formicary.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Formicary;

/// <summary>
/// <c>/api/artifacts</c>: Formicary's artifacts. Uploads take the raw body (streamed to the artifact store, never buffered
/// whole) with the metadata in query parameters or <c>X-Artifact-*</c> headers; downloads stream with
/// <c>Content-Disposition</c>, <c>ETag</c> (the sha256) and range requests. Everything is scoped by the caller's org; an
/// id that is not an artifact's is tried as a sha256.
/// </summary>
internal static class ArtifactEndpoints
{
    /// <summary>Query parameters other than the known fields become metadata entries; at most this many.</summary>
    public const int MaxMetadataEntries = 50;

    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal) { "name", "kind", "job_request_id", "task_type", "tags", "content_type" };

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/artifacts", UploadAsync).RequirePermission(Permissions.ArtifactUpload).WithName("FormicaryArtifactsUpload")
            .Produces<ArtifactResponse>(StatusCodes.Status201Created)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound)
            .Produces<ErrorBody>(StatusCodes.Status413PayloadTooLarge);
        group.MapGet("/artifacts", ListAsync).RequirePermission(Permissions.ArtifactQuery).WithName("FormicaryArtifactsList")
            .Produces<PaginatedResult<ArtifactResponse>>().Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        group.MapGet("/artifacts/{id}", GetAsync).RequirePermission(Permissions.ArtifactView).WithName("FormicaryArtifactsGet")
            .Produces<ArtifactResponse>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapGet("/artifacts/{id}/download", (HttpContext context, string id) => DownloadAsync(context, id, raw: false))
            .RequirePermission(Permissions.ArtifactView).WithName("FormicaryArtifactsDownload")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream").Produces(StatusCodes.Status206PartialContent)
            .Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapGet("/artifacts/{id}/download/raw", (HttpContext context, string id) => DownloadAsync(context, id, raw: true))
            .RequirePermission(Permissions.ArtifactView).WithName("FormicaryArtifactsDownloadRaw")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream").Produces(StatusCodes.Status206PartialContent)
            .Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapDelete("/artifacts/{id}", DeleteAsync).RequirePermission(Permissions.ArtifactDelete).WithName("FormicaryArtifactsDelete")
            .Produces(StatusCodes.Status200OK).Produces<ErrorBody>(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> UploadAsync(HttpContext context, IOrchestrationClient engine)
    {
        var artifacts = Client(context);
        var request = context.Request;
        // Before the first byte is read: Kestrel then refuses a body over the artifact limit itself, even a chunked one.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = artifacts.MaxArtifactBytes;
        if (request.ContentLength > artifacts.MaxArtifactBytes) throw TooLarge(artifacts.MaxArtifactBytes);

        var orgId = context.GetCaller().OrgId;
        var limits = context.Limits();
        var name = Field(request, "name", "X-Artifact-Name") ?? throw ApiException.Validation("name", "is required");
        Guid? runId = null;
        if (Field(request, "job_request_id", "X-Artifact-Job-Request-Id") is { } requestId)
        {
            if (!Guid.TryParse(requestId, out var parsed)) throw ApiException.Validation("job_request_id", "must be a job request id");
            runId = (await FamilyScope.FindRunAsync(engine, orgId, FamilyScope.Formicary, parsed, context.RequestAborted) ?? throw ApiException.NotFound("Job request")).Id;
        }

        var contentType = request.ContentType;
        if (contentType is not null && !MediaTypeHeaderValue.TryParse(contentType, out _)) throw ApiException.Validation("Content-Type", "must be a media type");
        var upload = new ArtifactUpload
        {
            OrgId = orgId,
            Name = name,
            Kind = Field(request, "kind", "X-Artifact-Kind"),
            RunId = runId,
            TaskType = Field(request, "task_type", "X-Artifact-Task-Type"),
            ContentType = contentType,
            Tags = Tags(Field(request, "tags", "X-Artifact-Tags")),
            MetadataJson = Metadata(request.Query, limits),
        };
        Artifact stored;
        try
        {
            stored = await artifacts.UploadAsync(upload, request.Body, context.RequestAborted);
        }
        catch (ArtifactValidationException e)
        {
            throw ApiException.Validation(e.Field, e.Message[Math.Min(e.Message.Length, e.Field.Length + 1)..]);
        }
        catch (ArtifactTooLargeException)
        {
            throw TooLarge(artifacts.MaxArtifactBytes);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(artifacts.MaxArtifactBytes);
        }

        return FormicaryJson.Ok(ToContract(stored), StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpContext context, string? job_request_id, string? task_type, string? name, string? kind, string? sha256)
    {
        var limits = context.Limits();
        if (limits.QueryListProblem(context.Request.Query) is { } tooMany) throw ApiException.Validation(tooMany.Field, tooMany.Message);
        Guid? runId = null;
        if (!string.IsNullOrEmpty(job_request_id))
        {
            if (!Guid.TryParse(job_request_id, out var parsed)) throw ApiException.Validation("job_request_id", "must be a job request id");
            runId = parsed;
        }

        foreach (var (field, value) in new[] { ("task_type", task_type), ("name", name), ("kind", kind), ("sha256", sha256) })
            if (limits.IdentifierProblem(value) is { } problem) throw ApiException.Validation(field, problem);
        var (page, pageSize, offset) = FormicaryPaging.Read(context.Request.Query);
        var found = await Client(context).ListAsync(new ArtifactQuery
        {
            OrgId = context.GetCaller().OrgId,
            RunId = runId,
            TaskType = NullIfEmpty(task_type),
            Name = NullIfEmpty(name),
            Kind = NullIfEmpty(kind),
            Sha256 = NullIfEmpty(sha256)?.ToLowerInvariant(),
            Limit = pageSize,
            Offset = offset,
        }, context.RequestAborted);
        return FormicaryJson.Ok(new PaginatedResult<ArtifactResponse>(found.Items.Select(ToContract).ToList(), found.Total, page, pageSize,
            FormicaryPaging.TotalPages(found.Total, pageSize)));
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id) =>
        FormicaryJson.Ok(ToContract(await FindAsync(context, id)));

    private static async Task<IResult> DownloadAsync(HttpContext context, string id, bool raw)
    {
        var artifact = await FindAsync(context, id);
        var stream = await Client(context).OpenReadAsync(artifact, context.RequestAborted) ?? throw ApiException.NotFound("Artifact content");
        var headers = context.Response.Headers;
        // The content is whatever a client uploaded: never let a browser sniff it into something else, or run it as a page.
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        if (raw)
        {
            var disposition = new ContentDispositionHeaderValue("inline");
            disposition.SetHttpFileName(artifact.Name);
            headers.ContentDisposition = disposition.ToString();
        }

        return Results.Stream(stream, artifact.ContentType ?? "application/octet-stream", fileDownloadName: raw ? null : artifact.Name,
            lastModified: artifact.CreatedAt, entityTag: new EntityTagHeaderValue($"\"{artifact.Sha256}\""), enableRangeProcessing: stream.CanSeek);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string id)
    {
        var orgId = context.GetCaller().OrgId;
        var client = Client(context);
        // By id only: a sha256 may name several artifacts, and a delete must say which.
        if (!await client.DeleteAsync(orgId, id, context.RequestAborted)) throw ApiException.NotFound("Artifact");
        return FormicaryJson.Empty();
    }

    private static async Task<Artifact> FindAsync(HttpContext context, string id)
    {
        if (context.Limits().IdentifierProblem(id) is not null) throw ApiException.NotFound("Artifact");
        return await Client(context).FindAsync(context.GetCaller().OrgId, id, context.RequestAborted) ?? throw ApiException.NotFound("Artifact");
    }

    internal static IArtifactClient Client(HttpContext context) =>
        context.RequestServices.GetService<IArtifactClient>()
        ?? throw new ApiException(StatusCodes.Status501NotImplemented, "Artifacts are not enabled on this host (AddArtifacts)");

    internal static ApiException TooLarge(long max) => new(StatusCodes.Status413PayloadTooLarge, $"Artifact exceeds the limit of {max} bytes");

    private static string? Field(HttpRequest request, string query, string header)
    {
        if (request.Query[query].ToString() is { Length: > 0 } fromQuery) return fromQuery;
        return request.Headers[header].ToString() is { Length: > 0 } fromHeader ? fromHeader : null;
    }

    /// <summary>Formicary's tags are a map; they travel as <c>key=value</c> (or bare <c>key</c>) items, comma-separated.</summary>
    private static List<string> Tags(string? text) =>
        text is null ? [] : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

    private static string? Metadata(IQueryCollection query, LimitOptions limits)
    {
        var entries = query.Where(q => !KnownFields.Contains(q.Key) && q.Key is not ("page" or "page_size")).ToList();
        if (entries.Count == 0) return null;
        if (entries.Count > MaxMetadataEntries) throw ApiException.Validation("metadata", $"at most {MaxMetadataEntries} query parameters may be metadata");
        foreach (var (key, _) in entries)
            if (limits.IdentifierProblem(key) is { } problem) throw ApiException.Validation(key, problem);
        return JsonSerializer.Serialize(entries.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal));
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    internal static ArtifactResponse ToContract(Artifact artifact) => new()
    {
        Id = artifact.Id,
        Name = artifact.Name,
        Kind = artifact.Kind,
        JobRequestId = artifact.RunId,
        TaskExecutionId = artifact.TaskId,
        TaskType = artifact.TaskType,
        Sha256 = artifact.Sha256,
        ContentType = artifact.ContentType,
        ContentLength = artifact.ContentLength,
        // Formicary's metadata is a map of strings; a handler may have stored other JSON values, shown as their JSON text.
        Metadata = artifact.MetadataJson is { } json
            ? (JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json) ?? []).ToDictionary(e => e.Key,
                e => e.Value.ValueKind == JsonValueKind.String ? e.Value.GetString()! : e.Value.GetRawText(), StringComparer.Ordinal)
            : new Dictionary<string, string>(),
        Tags = artifact.Tags.Select(t => t.Split('=', 2)).GroupBy(p => p[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last() is { Length: 2 } kv ? kv[1] : "", StringComparer.Ordinal),
        Url = $"/api/artifacts/{artifact.Id}/download",
        CreatedAt = artifact.CreatedAt.UtcDateTime,
    };
}
