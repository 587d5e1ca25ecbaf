using System.Text.RegularExpressions;
using Orchestration.Domain;
using Orchestration.Http.Formicary.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Formicary;

/// <summary>
/// <c>/api/users</c> and their tokens, as Formicary's user controller serves them, over the platform's permission model.
/// Users belong to the caller's org. A token is an API key owned by a user: its secret is shown once, at creation, and
/// only its hash is stored. No one gains through users or tokens what they do not hold: a user is given only
/// permissions the caller holds, and a token only permissions both the caller and its user hold.
/// </summary>
internal static partial class UserEndpoints
{
    /// <summary>Longest profile text field (name, email, URLs).</summary>
    public const int MaxProfileField = 1024;

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/users", ListAsync).RequirePermission(Permissions.UserQuery).WithName("FormicaryUsersList")
            .Produces<PaginatedResult<UserResponse>>().Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        group.MapPost("/users", CreateAsync).RequirePermission(Permissions.UserCreate).WithName("FormicaryUsersCreate")
            .Accepts<UserRequest>("application/json").Produces<UserResponse>(StatusCodes.Status201Created)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status409Conflict);
        group.MapGet("/users/{id}", GetAsync).RequirePermission(Permissions.UserView).WithName("FormicaryUsersGet")
            .Produces<UserResponse>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapPut("/users/{id}", UpdateAsync).RequirePermission(Permissions.UserUpdate).WithName("FormicaryUsersUpdate")
            .Accepts<UserRequest>("application/json").Produces<UserResponse>().Produces<ErrorBody>(StatusCodes.Status400BadRequest)
            .Produces<ErrorBody>(StatusCodes.Status404NotFound);
        // A user may manage its own tokens without User:View / User:Update, as in Formicary: checked in the handlers.
        group.MapGet("/users/{userId}/tokens", ListTokensAsync).RequireAuthenticatedCaller().WithName("FormicaryUserTokensList")
            .Produces<IReadOnlyList<UserTokenResponse>>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapPost("/users/{userId}/tokens", CreateTokenAsync).RequireAuthenticatedCaller().WithName("FormicaryUserTokensCreate")
            .Accepts<UserTokenRequestForm>("application/x-www-form-urlencoded", "multipart/form-data", "application/json").Produces<UserTokenResponse>()
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapDelete("/users/{userId}/tokens/{id}", RevokeTokenAsync).RequireAuthenticatedCaller().WithName("FormicaryUserTokensRevoke")
            .Produces(StatusCodes.Status200OK).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        // Formicary's own route for the same revoke.
        group.MapPost("/users/{userId}/tokens/{id}/delete", RevokeTokenAsync).RequireAuthenticatedCaller().WithName("FormicaryUserTokensRevokePost")
            .Produces(StatusCodes.Status200OK).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapPost("/auth/token", IssueJwtAsync).RequireAuthenticatedCaller().WithName("FormicaryAuthToken")
            .Produces<JwtTokenResponse>().Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IUserStore users, string? username, string? email)
    {
        var limits = context.Limits();
        if (limits.IdentifierProblem(username) is { } u) throw ApiException.Validation("username", u);
        if (limits.IdentifierProblem(email) is { } e) throw ApiException.Validation("email", e);
        var (page, size, offset) = FormicaryPaging.Read(context.Request.Query);
        var found = await users.ListUsersAsync(new UserQuery
        {
            OrgId = context.GetCaller().OrgId, Username = string.IsNullOrEmpty(username) ? null : username, Email = string.IsNullOrEmpty(email) ? null : email,
            Limit = size, Offset = offset,
        }, context.RequestAborted);
        return FormicaryJson.Ok(new PaginatedResult<UserResponse>(found.Items.Select(ToContract).ToList(), found.Total, page, size,
            FormicaryPaging.TotalPages(found.Total, size)));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IUserStore users, TimeProvider time)
    {
        var request = await JsonBody.ReadAsync<UserRequest>(context, FormicaryJson.Options);
        var caller = context.GetCaller();
        if (string.IsNullOrWhiteSpace(request.Username)) throw ApiException.Validation("username", "is required");
        if (context.Limits().IdentifierProblem(request.Username) is { } problem) throw ApiException.Validation("username", problem);
        CheckProfile(request);
        var permissions = Grantable(caller, RequestedPermissions(context, request) ?? []);
        var now = time.GetUtcNow();
        var user = new OrgUser
        {
            Id = Guid.CreateVersion7().ToString(),
            OrgId = caller.OrgId,
            Username = request.Username.Trim(),
            Name = request.Name ?? "",
            // Formicary takes a username that looks like an email as the email too.
            Email = request.Email ?? (request.Username.Contains('@', StringComparison.Ordinal) ? request.Username.Trim() : ""),
            Url = request.Url ?? "",
            PictureUrl = request.PictureUrl ?? "",
            Permissions = permissions,
            Locked = request.Locked ?? false,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (!await users.CreateUserAsync(user, context.RequestAborted)) throw ApiException.Conflict($"Username '{user.Username}' is taken in this org");
        return FormicaryJson.Ok(ToContract(user), StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetAsync(HttpContext context, IUserStore users, string id) =>
        FormicaryJson.Ok(ToContract(await users.GetUserAsync(context.GetCaller().OrgId, id, context.RequestAborted) ?? throw ApiException.NotFound("User")));

    private static async Task<IResult> UpdateAsync(HttpContext context, IUserStore users, TimeProvider time, string id)
    {
        var request = await JsonBody.ReadAsync<UserRequest>(context, FormicaryJson.Options);
        var caller = context.GetCaller();
        CheckProfile(request);
        var current = await users.GetUserAsync(caller.OrgId, id, context.RequestAborted) ?? throw ApiException.NotFound("User");
        if (request.Username is not null && !string.Equals(request.Username.Trim(), current.Username, StringComparison.Ordinal))
            throw ApiException.Validation("username", "cannot be changed");
        IReadOnlyList<string>? permissions = RequestedPermissions(context, request) is { } requested ? Grantable(caller, requested) : null;
        var updated = await users.UpdateUserProfileAsync(new UpdateUserProfileParams
        {
            OrgId = caller.OrgId, UserId = id, Name = request.Name, Email = request.Email, Url = request.Url, PictureUrl = request.PictureUrl,
            Permissions = permissions, Locked = request.Locked, UpdatedAt = time.GetUtcNow(),
        }, context.RequestAborted) ?? throw ApiException.NotFound("User");
        return FormicaryJson.Ok(ToContract(updated));
    }

    private static async Task<IResult> ListTokensAsync(HttpContext context, IUserStore users, string userId)
    {
        var user = await TokenOwnerAsync(context, users, userId, Permissions.UserView);
        var tokens = await users.ListUserTokensAsync(user.OrgId, user.Id, context.RequestAborted);
        return FormicaryJson.Ok(tokens.Select(t => ToContract(t, user.Id, secret: null)).ToList());
    }

    private static async Task<IResult> CreateTokenAsync(HttpContext context, IUserStore users, TimeProvider time, string userId)
    {
        var caller = context.GetCaller();
        var user = await TokenOwnerAsync(context, users, userId, Permissions.UserUpdate, minting: true);
        var (name, requested, expiresAt) = await ReadTokenRequestAsync(context);
        var now = time.GetUtcNow();
        if (expiresAt is { } e && e <= now) throw ApiException.Validation("expires_at", "must be in the future");

        // Only what both hold: the caller cannot hand out more than it has, and a token never holds more than its user.
        string[] permissions;
        if (requested is null)
        {
            permissions = user.Permissions.Where(p => caller.Has(p) && !IsMinting(p)).Distinct(StringComparer.Ordinal).ToArray();
        }
        else
        {
            if (requested.FirstOrDefault(p => !Permissions.Known.Contains(p)) is { } unknown) throw ApiException.Validation("permissions", $"unknown permission '{unknown}'");
            if (requested.FirstOrDefault(p => !caller.Has(p)) is { } notHeld)
                throw new ApiException(StatusCodes.Status403Forbidden, $"Cannot grant permission '{notHeld}': the caller does not hold it");
            if (requested.FirstOrDefault(p => !Permissions.Grants(user.Permissions, p)) is { } userLacks)
                throw new ApiException(StatusCodes.Status403Forbidden, $"Cannot grant permission '{userLacks}': the user does not hold it");
            permissions = requested.Distinct(StringComparer.Ordinal).ToArray();
        }

        if (permissions.Length == 0) throw new ApiException(StatusCodes.Status403Forbidden, "The token would hold no permission: neither the caller nor the user holds one the other does");
        if (caller.ExpiresAt is { } own)
        {
            if (expiresAt is { } wanted && wanted > own) throw new ApiException(StatusCodes.Status403Forbidden, "expires_at must not be later than the caller's own expiry");
            expiresAt ??= own;
        }

        var (id, key, hash) = ApiKeyFormat.Generate();
        var record = new ApiKeyRecord
        {
            Id = id, OrgId = user.OrgId, Name = name, SecretHash = hash, Permissions = permissions, CreatedAt = now, ExpiresAt = expiresAt,
            RateLimit = caller.IsSystem ? null : caller.RateLimit, RateLimitWindowSeconds = caller.IsSystem ? null : caller.RateLimitWindowSeconds,
        };
        if (!await users.CreateUserTokenAsync(user.Id, record, context.RequestAborted)) throw ApiException.NotFound("User");
        // Formicary answers 200 here, not 201.
        return FormicaryJson.Ok(ToContract(record, user.Id, key));
    }

    private static async Task<IResult> RevokeTokenAsync(HttpContext context, IUserStore users, string userId, string id)
    {
        var user = await TokenOwnerAsync(context, users, userId, Permissions.UserUpdate);
        return await users.RevokeUserTokenAsync(user.OrgId, user.Id, id, context.RequestAborted) ? FormicaryJson.Empty() : throw ApiException.NotFound("Token");
    }

    private static async Task<IResult> IssueJwtAsync(HttpContext context, HostJwt jwt, IIdentityStore identity, IUserStore users, TimeProvider time)
    {
        if (!jwt.Enabled) throw ApiException.NotFound("JWT issuing (set Orchestration:Jwt:SigningKey or SigningKeyPem)");
        // Only an API key or user token is exchanged: a JWT cannot renew itself past the lifetime it was given.
        if (LooksLikeJwt(context.Request.Headers.Authorization.ToString()))
            throw ApiException.Validation("Authorization", "a JWT cannot be exchanged for another; send the API key or user token");
        var key = KeyIdOf(context.GetCaller()) is { } keyId ? await identity.FindApiKeyAsync(keyId, context.RequestAborted) : null;
        if (key is null) throw ApiException.Validation("Authorization", "send an API key or user token to exchange for a JWT");
        var owner = await users.FindTokenOwnerAsync(key.Id, context.RequestAborted);
        var (token, expires) = jwt.Issue(key, owner?.Id ?? key.Id);
        var seconds = (int)Math.Max(0, Math.Ceiling((expires - time.GetUtcNow()).TotalSeconds));
        return FormicaryJson.Ok(new JwtTokenResponse(token, "Bearer", seconds, expires.UtcDateTime));
    }

    /// <summary>
    /// The user whose tokens are addressed: the caller needs <paramref name="permission"/>, or must be that user (a
    /// request made with one of its own tokens). Another org's user answers 404 like a missing one.
    /// </summary>
    private static async Task<OrgUser> TokenOwnerAsync(HttpContext context, IUserStore users, string userId, string permission, bool minting = false)
    {
        var caller = context.GetCaller();
        var user = await users.GetUserAsync(caller.OrgId, userId, context.RequestAborted);
        // Minting a token for another user is minting a key, so it also takes keys:manage, which no wildcard grants.
        if (caller.Has(permission) && (!minting || caller.Has(Permissions.KeysManage))) return user ?? throw ApiException.NotFound("User");
        if (user is not null && KeyIdOf(caller) is { } keyId && (await users.FindTokenOwnerAsync(keyId, context.RequestAborted))?.Id == user.Id) return user;
        throw new ApiException(StatusCodes.Status403Forbidden, minting
            ? $"Missing permission '{permission}' with '{Permissions.KeysManage}' (a token for another user is a new key), or be that user"
            : $"Missing permission '{permission}', or be that user");
    }

    private static string? KeyIdOf(Caller caller) => caller.PartitionKey.StartsWith("key:", StringComparison.Ordinal) ? caller.PartitionKey["key:".Length..] : null;

    private static bool LooksLikeJwt(string header) =>
        header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header["Bearer ".Length..].Trim() is var t
        && !t.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal) && t.Count(c => c == '.') == 2;

    /// <summary>Key management is granted on purpose only; a default token never carries it.</summary>
    private static bool IsMinting(string permission) => permission is Permissions.KeysManage or Permissions.Admin;

    private static async Task<(string Name, string[]? Permissions, DateTimeOffset? ExpiresAt)> ReadTokenRequestAsync(HttpContext context)
    {
        var request = context.Request;
        string? name = null, expires = null;
        string[]? permissions = null;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(context.RequestAborted);
            name = form["token"].ToString();
            expires = form["expires_at"].ToString();
            if (form["permissions"].Count > 0) permissions = Split(string.Join(' ', form["permissions"].ToArray()));
        }
        else if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var body = await JsonBody.ReadAsync<UserTokenRequestForm>(context, FormicaryJson.Options);
            name = body.Token;
            expires = body.ExpiresAt;
            permissions = body.Permissions?.ToArray();
        }

        if (string.IsNullOrEmpty(name)) name = request.Query["token"].ToString();
        // Formicary's default name.
        if (string.IsNullOrWhiteSpace(name)) name = "api token";
        var limits = context.Limits();
        if (limits.IdentifierProblem(name) is { } nameProblem) throw ApiException.Validation("token", nameProblem);
        if (permissions is not null && limits.IdentifierListProblem(permissions) is { } listProblem) throw ApiException.Validation("permissions", listProblem);
        DateTimeOffset? expiresAt = null;
        if (!string.IsNullOrEmpty(expires))
        {
            if (!DateTimeOffset.TryParse(expires, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var at))
                throw ApiException.Validation("expires_at", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z");
            expiresAt = at;
        }

        return (name.Trim(), permissions, expiresAt);
    }

    private static IReadOnlyList<string>? RequestedPermissions(HttpContext context, UserRequest request)
    {
        var list = request.Permissions?.ToArray() ?? (request.Perms is null ? null : Split(request.Perms));
        if (list is null) return null;
        if (context.Limits().IdentifierListProblem(list) is { } problem) throw ApiException.Validation("permissions", problem);
        if (list.FirstOrDefault(p => !Permissions.Known.Contains(p)) is { } unknown) throw ApiException.Validation("permissions", $"unknown permission '{unknown}'");
        return list;
    }

    /// <summary>A user is given only permissions the caller holds, so users never become a way around the key rules.</summary>
    private static string[] Grantable(Caller caller, IReadOnlyList<string> requested) =>
        requested.FirstOrDefault(p => !caller.Has(p)) is { } notHeld
            ? throw new ApiException(StatusCodes.Status403Forbidden, $"Cannot give permission '{notHeld}': the caller does not hold it")
            : requested.Distinct(StringComparer.Ordinal).ToArray();

    private static string[] Split(string text) => SeparatorRegex().Split(text).Where(p => p.Length > 0).ToArray();

    private static void CheckProfile(UserRequest request)
    {
        foreach (var (field, value) in new[] { ("name", request.Name), ("email", request.Email), ("url", request.Url), ("picture_url", request.PictureUrl) })
        {
            if (value is { Length: > MaxProfileField }) throw ApiException.Validation(field, $"must be at most {MaxProfileField} characters");
            if (value is not null && value.Contains('\0', StringComparison.Ordinal)) throw ApiException.Validation(field, "must not contain NUL");
        }

        if (!string.IsNullOrEmpty(request.Email) && !EmailRegex().IsMatch(request.Email)) throw ApiException.Validation("email", "is not a valid email address");
    }

    private static UserResponse ToContract(OrgUser user) => new()
    {
        Id = user.Id, OrganizationId = user.OrgId, Username = user.Username, Name = user.Name, Email = user.Email, Url = user.Url,
        PictureUrl = user.PictureUrl, Perms = string.Join(' ', user.Permissions), Permissions = user.Permissions,
        Admin = user.Permissions.Contains(Permissions.System, StringComparer.Ordinal), Locked = user.Locked,
        CreatedAt = user.CreatedAt.UtcDateTime, UpdatedAt = user.UpdatedAt.UtcDateTime,
    };

    private static UserTokenResponse ToContract(ApiKeyRecord key, string userId, string? secret) => new()
    {
        Id = key.Id, UserId = userId, OrganizationId = key.OrgId, TokenName = key.Name, ApiToken = secret, Permissions = key.Permissions,
        ExpiresAt = key.ExpiresAt?.UtcDateTime, CreatedAt = key.CreatedAt.UtcDateTime,
    };

    [GeneratedRegex(@"[\s,]+")]
    private static partial Regex SeparatorRegex();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailRegex();
}

/// <summary>Body of <c>POST /api/users/{userId}/tokens</c> when sent as JSON (form fields have the same names).</summary>
internal sealed record UserTokenRequestForm
{
    /// <summary>The token's name (Formicary's form field <c>token</c>).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("token")] public string? Token { get; init; }
    /// <summary>Permissions to grant; default: every permission both the caller and the user hold (never key management).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("permissions")] public IReadOnlyList<string>? Permissions { get; init; }
    /// <summary>RFC 3339 expiry; default none, or the caller's own.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("expires_at")] public string? ExpiresAt { get; init; }
}
