using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orchestration.Engine;
using Orchestration.Http.Formicary.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Formicary;

/// <summary>
/// <c>/api/jobs/definitions</c>: Formicary job definitions, from JSON or YAML, versioned per job type. Every save of
/// a job type writes a new version; requests run the latest version unless they pin <c>job_version</c>.
/// </summary>
internal static class DefinitionEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/jobs/definitions", ListAsync).RequirePermission(Permissions.JobDefinitionQuery).WithName("FormicaryDefinitionsList")
            .Produces<PaginatedResult<JsonObject>>().Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        group.MapPost("/jobs/definitions", SaveAsync).RequirePermission(Permissions.JobDefinitionCreate).WithName("FormicaryDefinitionsSave")
            .Accepts<JsonObject>("application/json", "application/yaml").Produces<JsonObject>(StatusCodes.Status201Created).Produces<JsonObject>()
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        group.MapGet("/jobs/definitions/{id}", GetAsync).RequirePermission(Permissions.JobDefinitionView).WithName("FormicaryDefinitionsGet")
            .Produces<JsonObject>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapDelete("/jobs/definitions/{id}", DeleteAsync).RequirePermission(Permissions.JobDefinitionDelete).WithName("FormicaryDefinitionsDelete")
            .Produces(StatusCodes.Status200OK).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapPost("/jobs/definitions/{id}/disable", DisableAsync).RequirePermission(Permissions.JobDefinitionDisable).WithName("FormicaryDefinitionsDisable")
            .Produces(StatusCodes.Status200OK).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapPost("/jobs/definitions/{id}/enable", EnableAsync).RequirePermission(Permissions.JobDefinitionEnable).WithName("FormicaryDefinitionsEnable")
            .Produces(StatusCodes.Status200OK).Produces<ErrorBody>(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IDefinitionStore store, string? job_type, string? platform, string? tags)
    {
        var limits = context.Limits();
        if (limits.QueryListProblem(context.Request.Query) is { } tooMany) throw ApiException.Validation(tooMany.Field, tooMany.Message);
        if (limits.IdentifierProblem(job_type) is { } typeProblem) throw ApiException.Validation("job_type", typeProblem);
        if (limits.IdentifierProblem(platform) is { } platformProblem) throw ApiException.Validation("platform", platformProblem);
        var tagList = (tags ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (limits.IdentifierListProblem(tagList) is { } tagProblem) throw ApiException.Validation("tags", tagProblem);
        var (page, size, offset) = FormicaryPaging.Read(context.Request.Query);
        var found = await store.ListDefinitionsAsync(new DefinitionQuery
        {
            OrgId = context.GetCaller().OrgId,
            Name = string.IsNullOrEmpty(job_type) ? null : job_type,
            Platform = string.IsNullOrEmpty(platform) ? null : platform,
            Tags = tagList,
            Limit = size,
            Offset = offset,
        }, context.RequestAborted);
        // Definitions are bounded at save (FormicaryYaml.MaxBytes and the body cap); the page stops at the response budget.
        var records = limits.WithinBudget(found.Items, d => d.DocumentJson.Length + (d.RawYaml?.Length ?? 0), FormicaryJson.ToContract);
        return FormicaryJson.Ok(new PaginatedResult<JsonObject>(records, found.Total, page, size, FormicaryPaging.TotalPages(found.Total, size)));
    }

    /// <summary>Creates the job type (201) or saves a new version of it (200), from JSON or from Formicary YAML.</summary>
    private static async Task<IResult> SaveAsync(HttpContext context, IDefinitionStore store, IScheduleClient schedules, TimeProvider time)
    {
        var limits = context.Limits();
        var (body, rawYaml) = await ReadBodyAsync(context);
        var definition = FormicaryDefinition.Parse(body, limits);
        var document = definition.Document.ToJsonString();
        // JSON bodies get the same cap as YAML ones, so a definition costs the same to store and list whichever way it came.
        if (Encoding.UTF8.GetByteCount(document) > FormicaryYaml.MaxBytes) throw TooLarge(FormicaryYaml.MaxBytes);
        var orgId = context.GetCaller().OrgId;
        // A new version keeps the job type's disabled flag, and so does its schedule.
        var current = await store.GetDefinitionByNameAsync(orgId, definition.JobType, null, context.RequestAborted);
        await FormicaryCron.SyncAsync(schedules, orgId, definition, current?.Disabled ?? false, context.RequestAborted);
        var saved = await store.SaveDefinitionAsync(new SaveDefinitionParams
        {
            Id = Guid.CreateVersion7().ToString(),
            OrgId = orgId,
            Name = definition.JobType,
            Platform = definition.Platform,
            Tags = definition.Tags,
            DocumentJson = document,
            RawYaml = rawYaml,
            CreatedAt = time.GetUtcNow(),
        }, context.RequestAborted);
        return FormicaryJson.Ok(FormicaryJson.ToContract(saved), saved.Version == 1 ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> GetAsync(HttpContext context, IDefinitionStore store, string id) =>
        FormicaryJson.Ok(FormicaryJson.ToContract(await FindAsync(context, store, id)));

    private static async Task<IResult> DeleteAsync(HttpContext context, IDefinitionStore store, IScheduleClient schedules, string id)
    {
        var found = await FindAsync(context, store, id);
        // Deleted between the read and the delete: the outcome the client asked for holds either way.
        await store.DeleteDefinitionAsync(found.OrgId, found.Name, context.RequestAborted);
        await schedules.DeleteScheduleAsync(found.OrgId, FormicaryJson.Family, found.Name, context.RequestAborted);
        return FormicaryJson.Empty();
    }

    private static Task<IResult> DisableAsync(HttpContext context, IDefinitionStore store, IScheduleClient schedules, string id) => SetDisabledAsync(context, store, schedules, id, true);

    private static Task<IResult> EnableAsync(HttpContext context, IDefinitionStore store, IScheduleClient schedules, string id) => SetDisabledAsync(context, store, schedules, id, false);

    private static async Task<IResult> SetDisabledAsync(HttpContext context, IDefinitionStore store, IScheduleClient schedules, string id, bool disabled)
    {
        var found = await FindAsync(context, store, id);
        if (!await store.SetDefinitionDisabledAsync(found.OrgId, found.Name, disabled, context.RequestAborted)) throw ApiException.NotFound("Job definition");
        // A job type without a cron_trigger has no schedule: pausing or resuming it finds none and does nothing.
        _ = disabled
            ? await schedules.PauseScheduleAsync(found.OrgId, FormicaryJson.Family, found.Name, context.RequestAborted)
            : await schedules.ResumeScheduleAsync(found.OrgId, FormicaryJson.Family, found.Name, context.RequestAborted);
        return FormicaryJson.Empty();
    }

    /// <summary>By id (any version), else the latest version of the job type of that name, in the caller's org.</summary>
    private static async Task<JobDefinition> FindAsync(HttpContext context, IDefinitionStore store, string id)
    {
        var orgId = context.GetCaller().OrgId;
        if (context.Limits().IdentifierProblem(id) is not null) throw ApiException.NotFound("Job definition");
        return await store.GetDefinitionAsync(orgId, id, context.RequestAborted)
               ?? await store.GetDefinitionByNameAsync(orgId, id, null, context.RequestAborted)
               ?? throw ApiException.NotFound("Job definition");
    }

    /// <summary>The body as a JSON object, and the YAML text when it came as YAML (kept verbatim as <c>raw_yaml</c>).</summary>
    private static async Task<(JsonObject Body, string? RawYaml)> ReadBodyAsync(HttpContext context)
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is not ("application/yaml" or "application/x-yaml" or "text/yaml" or "text/x-yaml"))
            return (await JsonBody.ReadAsync<JsonObject>(context, FormicaryJson.Options), null);

        var limit = Math.Min(FormicaryYaml.MaxBytes, context.RequestServices.GetRequiredService<IOptions<OrchestrationHttpOptions>>().Value.Http.MaxRequestBodyBytes);
        if (context.Request.ContentLength > limit) throw TooLarge(limit);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit) throw TooLarge(limit);
            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0) throw new ApiException(StatusCodes.Status400BadRequest, "Request body is required");
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "Request body is not valid UTF-8");
        }

        if (text.Contains('\0')) throw new ApiException(StatusCodes.Status400BadRequest, "Request body must not contain NUL");
        return (FormicaryYaml.Parse(text), text);
    }

    private static ApiException TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, $"A job definition must be at most {limit} bytes");
}
