using System.Text.Json;
using Orchestration.Domain;
using Orchestration.Http.Admin.Contracts;
using Orchestration.Http.Auth;
using Orchestration.Http.Errors;
using Orchestration.Http.Platform;
using Orchestration.Storage;

namespace Orchestration.Http.Admin;

/// <summary>
/// Orgs and API keys. Admin keys act across orgs (they provision tenants), which is why <c>admin</c> is never implied
/// by <c>*</c>.
/// </summary>
internal static class AdminEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(RouteGroupBuilder group)
    {
        group.WithTags("Admin");
        group.MapPost("/orgs", CreateOrgAsync).RequirePermission(Permissions.Admin)
            .Accepts<CreateOrgRequest>("application/json").Produces<OrgResponse>(StatusCodes.Status201Created).Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        group.MapPost("/api-keys", CreateKeyAsync).RequirePermission(Permissions.Admin)
            .Accepts<CreateApiKeyRequest>("application/json").Produces<CreatedApiKeyResponse>(StatusCodes.Status201Created)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapGet("/api-keys", ListKeysAsync).RequirePermission(Permissions.Admin).Produces<ApiKeyListResponse>();
        group.MapDelete("/api-keys/{id}", RevokeKeyAsync).RequirePermission(Permissions.Admin)
            .Produces(StatusCodes.Status204NoContent).Produces<ErrorBody>(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> CreateOrgAsync(HttpContext context, IIdentityStore identity, TimeProvider time)
    {
        var request = await JsonBody.ReadAsync<CreateOrgRequest>(context, Json);
        if (string.IsNullOrWhiteSpace(request.Name)) throw ApiException.Validation("name", "is required");
        if (context.Limits().IdentifierProblem(request.Name) is { } nameProblem) throw ApiException.Validation("name", nameProblem);
        var org = new Org(Guid.CreateVersion7().ToString(), request.Name.Trim(), time.GetUtcNow());
        await identity.CreateOrgAsync(org, context.RequestAborted);
        return Results.Json(new OrgResponse(org.Id, org.Name, org.CreatedAt.UtcDateTime), Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> CreateKeyAsync(HttpContext context, IIdentityStore identity, TimeProvider time)
    {
        var request = await JsonBody.ReadAsync<CreateApiKeyRequest>(context, Json);
        var now = time.GetUtcNow();
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(request.OrgId)) errors.Add(new FieldError("orgId", "is required"));
        if (string.IsNullOrWhiteSpace(request.Name)) errors.Add(new FieldError("name", "is required"));
        var limits = context.Limits();
        if (limits.IdentifierProblem(request.OrgId) is { } orgIdProblem) errors.Add(new FieldError("orgId", orgIdProblem));
        if (limits.IdentifierProblem(request.Name) is { } nameProblem) errors.Add(new FieldError("name", nameProblem));
        if (limits.IdentifierListProblem(request.Permissions) is { } permissionsProblem) errors.Add(new FieldError("permissions", permissionsProblem));
        else if (request.Permissions is not { Count: > 0 }) errors.Add(new FieldError("permissions", "must list at least one permission"));
        else if (request.Permissions.FirstOrDefault(p => !Permissions.Known.Contains(p)) is { } unknown)
            errors.Add(new FieldError("permissions", $"unknown permission '{unknown}'"));
        if (request.ExpiresAt is { } expires && expires <= now) errors.Add(new FieldError("expiresAt", "must be in the future"));
        if (request.RateLimit is { } rl && (rl.Limit < 1 || rl.WindowSeconds < 1))
            errors.Add(new FieldError("rateLimit", "limit and windowSeconds must be at least 1"));
        if (errors.Count > 0) throw ApiException.Validation(errors);

        if (await identity.GetOrgAsync(request.OrgId!, context.RequestAborted) is null) throw ApiException.NotFound("Org");

        var (id, key, hash) = ApiKeyFormat.Generate();
        var record = new ApiKeyRecord
        {
            Id = id,
            OrgId = request.OrgId!,
            Name = request.Name!.Trim(),
            SecretHash = hash,
            Permissions = request.Permissions!.Distinct(StringComparer.Ordinal).ToArray(),
            CreatedAt = now,
            ExpiresAt = request.ExpiresAt,
            RateLimit = request.RateLimit?.Limit,
            RateLimitWindowSeconds = request.RateLimit?.WindowSeconds,
        };
        if (!await identity.CreateApiKeyAsync(record, context.RequestAborted))
            throw new ApiException(StatusCodes.Status409Conflict, "Key id collision; retry");

        var body = new CreatedApiKeyResponse(record.Id, key, record.OrgId, record.Name, record.Permissions, record.CreatedAt.UtcDateTime,
            record.ExpiresAt?.UtcDateTime, RateLimitOf(record));
        return Results.Json(body, Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListKeysAsync(HttpContext context, IIdentityStore identity, string? orgId)
    {
        var keys = await identity.ListApiKeysAsync(string.IsNullOrEmpty(orgId) ? null : orgId, context.RequestAborted);
        var items = keys.Select(k => new ApiKeyResponse(k.Id, k.OrgId, k.Name, k.Permissions, k.CreatedAt.UtcDateTime, k.ExpiresAt?.UtcDateTime, RateLimitOf(k))).ToList();
        return Results.Json(new ApiKeyListResponse(items), Json);
    }

    private static async Task<IResult> RevokeKeyAsync(HttpContext context, IIdentityStore identity, string id) =>
        await identity.RevokeApiKeyAsync(id, context.RequestAborted) ? Results.NoContent() : throw ApiException.NotFound("API key");

    private static RateLimitContract? RateLimitOf(ApiKeyRecord k) =>
        k.RateLimit is { } limit ? new RateLimitContract { Limit = limit, WindowSeconds = k.RateLimitWindowSeconds ?? 0 } : null;
}
