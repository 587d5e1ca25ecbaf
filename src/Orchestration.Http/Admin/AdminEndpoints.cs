using System.Text.Json;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Http.Admin.Contracts;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Platform;
using Orchestration.Storage;

namespace Orchestration.Http.Admin;

/// <summary>
/// Orgs and API keys. Creating orgs needs the cross-org system permission (<c>admin</c>); keys are managed with
/// <c>keys:manage</c>, which acts on the caller's own org only unless the caller is a system key. No key can mint a
/// key stronger than itself: only permissions it holds, no later expiry, no higher rate limit.
/// </summary>
internal static class AdminEndpoints
{
    /// <summary>Longest per-key rate-limit window: a day.</summary>
    public const int MaxWindowSeconds = 86_400;

    /// <summary>Largest per-key request count per window.</summary>
    public const int MaxRateLimit = 1_000_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(RouteGroupBuilder group)
    {
        group.WithTags("Admin");
        group.MapPost("/orgs", CreateOrgAsync).RequirePermission(Permissions.System).WithName("AdminCreateOrg")
            .Accepts<CreateOrgRequest>("application/json").Produces<OrgResponse>(StatusCodes.Status201Created).Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        group.MapPost("/api-keys", CreateKeyAsync).RequirePermission(Permissions.KeysManage).WithName("AdminCreateApiKey")
            .Accepts<CreateApiKeyRequest>("application/json").Produces<CreatedApiKeyResponse>(StatusCodes.Status201Created)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapGet("/api-keys", ListKeysAsync).RequirePermission(Permissions.KeysManage).WithName("AdminListApiKeys").Produces<ApiKeyListResponse>();
        group.MapDelete("/api-keys/{id}", RevokeKeyAsync).RequirePermission(Permissions.KeysManage).WithName("AdminRevokeApiKey")
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

    private static async Task<IResult> CreateKeyAsync(HttpContext context, IIdentityStore identity, TimeProvider time, IOptions<OrchestrationHttpOptions> options)
    {
        var caller = context.GetCaller();
        var request = await JsonBody.ReadAsync<CreateApiKeyRequest>(context, Json);
        var now = time.GetUtcNow();
        var errors = new List<FieldError>();
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
        else if (request.RateLimit is { } capped && (capped.Limit > MaxRateLimit || capped.WindowSeconds > MaxWindowSeconds))
            errors.Add(new FieldError("rateLimit", $"limit must be at most {MaxRateLimit} and windowSeconds at most {MaxWindowSeconds} (a day)"));
        if (errors.Count > 0) throw ApiException.Validation(errors);

        // An org key may omit orgId (it can only mean its own org); naming another org is refused before any lookup so
        // the answer does not tell whether that org exists.
        var orgId = string.IsNullOrWhiteSpace(request.OrgId) ? caller.OrgId : request.OrgId;
        if (!caller.IsSystem && !string.Equals(orgId, caller.OrgId, StringComparison.Ordinal))
            throw new ApiException(StatusCodes.Status403Forbidden, "Keys can be created only in the caller's own org");
        var permissions = request.Permissions!.Distinct(StringComparer.Ordinal).ToArray();
        if (permissions.FirstOrDefault(p => !caller.Has(p)) is { } notHeld)
            throw new ApiException(StatusCodes.Status403Forbidden, $"Cannot grant permission '{notHeld}': the calling key does not hold it");
        var expiresAt = LifetimeWithin(caller, request.ExpiresAt);
        var (limit, window) = RateLimitWithin(caller, request.RateLimit, options.Value.RateLimits.PerKey);

        if (await identity.GetOrgAsync(orgId, context.RequestAborted) is null) throw ApiException.NotFound("Org");

        var (id, key, hash) = ApiKeyFormat.Generate();
        var record = new ApiKeyRecord
        {
            Id = id,
            OrgId = orgId,
            Name = request.Name!.Trim(),
            SecretHash = hash,
            Permissions = permissions,
            CreatedAt = now,
            ExpiresAt = expiresAt,
            RateLimit = limit,
            RateLimitWindowSeconds = window,
        };
        if (!await identity.CreateApiKeyAsync(record, context.RequestAborted))
            throw new ApiException(StatusCodes.Status409Conflict, "Key id collision; retry");

        var body = new CreatedApiKeyResponse(record.Id, key, record.OrgId, record.Name, record.Permissions, record.CreatedAt.UtcDateTime,
            record.ExpiresAt?.UtcDateTime, RateLimitOf(record));
        return Results.Json(body, Json, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>A key never outlives the key that created it: no expiry given means the creator's own.</summary>
    private static DateTimeOffset? LifetimeWithin(Caller caller, DateTimeOffset? requested)
    {
        if (caller.ExpiresAt is not { } own) return requested;
        if (requested is null) return own;
        return requested <= own
            ? requested
            : throw new ApiException(StatusCodes.Status403Forbidden, "expiresAt must not be later than the calling key's own expiry");
    }

    /// <summary>
    /// An org key's new key gets no higher rate than the caller's own (its key limit, or the configured default): neither
    /// more requests per window nor more per second. No limit given means the caller's own. System keys provision
    /// executors and tenants, so they may set any limit within the caps.
    /// </summary>
    private static (int? Limit, int? Window) RateLimitWithin(Caller caller, RateLimitContract? requested, RateLimitWindow defaults)
    {
        if (caller.IsSystem) return (requested?.Limit, requested?.WindowSeconds);
        var ownLimit = caller.RateLimit ?? defaults.Limit;
        var ownWindow = caller.RateLimitWindowSeconds ?? defaults.WindowSeconds;
        if (requested is null) return (caller.RateLimit, caller.RateLimitWindowSeconds);
        var higher = requested.Limit > ownLimit || (long)requested.Limit * ownWindow > (long)ownLimit * requested.WindowSeconds;
        return higher
            ? throw new ApiException(StatusCodes.Status403Forbidden, $"rateLimit must not exceed the calling key's own ({ownLimit} per {ownWindow} s)")
            : (requested.Limit, requested.WindowSeconds);
    }

    private static async Task<IResult> ListKeysAsync(HttpContext context, IIdentityStore identity, string? orgId)
    {
        var caller = context.GetCaller();
        string? scope;
        if (caller.IsSystem) scope = string.IsNullOrEmpty(orgId) ? null : orgId;
        else if (string.IsNullOrEmpty(orgId) || string.Equals(orgId, caller.OrgId, StringComparison.Ordinal)) scope = caller.OrgId;
        else throw new ApiException(StatusCodes.Status403Forbidden, "Only keys of the caller's own org can be listed");

        var keys = await identity.ListApiKeysAsync(scope, context.RequestAborted);
        var items = keys.Select(k => new ApiKeyResponse(k.Id, k.OrgId, k.Name, k.Permissions, k.CreatedAt.UtcDateTime, k.ExpiresAt?.UtcDateTime, RateLimitOf(k))).ToList();
        return Results.Json(new ApiKeyListResponse(items), Json);
    }

    private static async Task<IResult> RevokeKeyAsync(HttpContext context, IIdentityStore identity, string id)
    {
        var caller = context.GetCaller();
        if (!caller.IsSystem)
        {
            // Another org's key answers exactly like a missing one. A key's org never changes, so checking first is safe.
            var record = await identity.FindApiKeyAsync(id, context.RequestAborted);
            if (record is null || !string.Equals(record.OrgId, caller.OrgId, StringComparison.Ordinal)) throw ApiException.NotFound("API key");
            // The bootstrap key lives in the default org; an operator key of that org must not be able to lock it out.
            if (record.Permissions.Contains(Permissions.System, StringComparer.Ordinal))
                throw new ApiException(StatusCodes.Status403Forbidden, "Only a system key can revoke a key holding the system permission");
        }

        return await identity.RevokeApiKeyAsync(id, context.RequestAborted) ? Results.NoContent() : throw ApiException.NotFound("API key");
    }

    private static RateLimitContract? RateLimitOf(ApiKeyRecord k) =>
        k.RateLimit is { } limit ? new RateLimitContract { Limit = limit, WindowSeconds = k.RateLimitWindowSeconds ?? 0 } : null;
}
