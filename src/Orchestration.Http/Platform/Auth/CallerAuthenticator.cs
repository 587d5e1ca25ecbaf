using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Http.Platform.Auth;

/// <summary>The outcome of reading the request's credential: a caller, or the 401 message and a hint for the details.</summary>
internal readonly record struct AuthResult(Caller? Caller, string? Failure, string? Hint = null)
{
    public static AuthResult Missing(string hint) => new(null, AuthMessages.Missing, hint);

    public static AuthResult Invalid(string hint) => new(null, AuthMessages.Invalid, hint);
}

/// <summary>The 401 messages, worded as Foreman words them so its clients recognise them; our hint goes in <c>details</c>.</summary>
internal static class AuthMessages
{
    public const string Missing = "Bearer token required but not provided";
    public const string Invalid = "Invalid Bearer token";
}

/// <summary>
/// Turns <c>Authorization: Bearer ...</c> into a <see cref="Caller"/>. API keys are looked up on every request (no
/// cache) so a revoked key stops working at once; JWTs go to the host's scheme when one is configured.
/// </summary>
internal sealed partial class CallerAuthenticator(IIdentityStore identity, IApiKeyVerifier verifier, IOptions<OrchestrationHttpOptions> options, TimeProvider time,
    ILogger<CallerAuthenticator> logger, HostJwt hostJwt)
{
    private static readonly IReadOnlySet<string> Everything = new HashSet<string>(StringComparer.Ordinal) { Permissions.All, Permissions.Admin };
    private readonly AuthOptions _auth = options.Value.Auth;

    public async Task<AuthResult> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!_auth.Enabled) return new AuthResult(new Caller(Org.DefaultId, Everything, "auth-disabled"), null);

        var header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthResult.Missing("send the header Authorization: Bearer YOUR_API_KEY");
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthResult.Missing("the Authorization header must use the Bearer scheme");
        var token = header["Bearer ".Length..].Trim();

        if (hostJwt.Enabled && LooksLikeJwt(token))
        {
            // This host's own tokens first; a token it refuses still goes to the host's scheme when one is configured.
            var own = await hostJwt.AuthenticateAsync(token, cancellationToken);
            if (own.Caller is not null || _auth.JwtScheme is null) return own;
        }

        if (_auth.JwtScheme is { } scheme && LooksLikeJwt(token)) return await AuthenticateJwtAsync(context, scheme);

        if (!ApiKeyFormat.TryParse(token, out var id, out var secret)) return AuthResult.Invalid("not an API key");
        var record = await identity.FindApiKeyAsync(id, cancellationToken);
        // An unknown id is hashed too, against a dummy: answering faster for unknown ids would tell a prober which ids exist.
        var matches = verifier.Verify(id, secret, record?.SecretHash ?? ApiKeyFormat.DummyHash);
        if (record is null || !matches) return AuthResult.Invalid("unknown API key");
        if (record.RevokedAt is not null) return AuthResult.Invalid("API key has been revoked");
        if (record.ExpiresAt is { } expires && expires <= time.GetUtcNow()) return AuthResult.Invalid("API key has expired");

        var permissions = new HashSet<string>(record.Permissions, StringComparer.Ordinal);
        return new AuthResult(new Caller(record.OrgId, permissions, "key:" + record.Id, record.RateLimit, record.RateLimitWindowSeconds, record.ExpiresAt), null);
    }

    private async Task<AuthResult> AuthenticateJwtAsync(HttpContext context, string scheme)
    {
        AuthenticateResult result;
        try
        {
            result = await context.AuthenticateAsync(scheme);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Start-up validation refuses a scheme without a handler; should a host bypass it, or its handler throw, one
            // short line per request (rate limited per IP like every failed credential) instead of a 500 and a stack trace.
            LogSchemeFailed(logger, scheme, e.GetType().Name, e.Message);
            return AuthResult.Invalid("the token could not be validated");
        }

        if (!result.Succeeded || result.Principal is null) return AuthResult.Invalid("invalid token");
        var principal = result.Principal;
        var org = principal.FindFirst(_auth.OrgClaim)?.Value;
        if (string.IsNullOrEmpty(org)) return AuthResult.Invalid($"token has no '{_auth.OrgClaim}' claim");
        var permissions = principal.FindAll(_auth.PermissionsClaim)
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToHashSet(StringComparer.Ordinal);
        var subject = principal.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? principal.FindFirst("sub")?.Value ?? "anonymous";
        DateTimeOffset? expires = long.TryParse(principal.FindFirst("exp")?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exp)
            ? DateTimeOffset.FromUnixTimeSeconds(exp)
            : null;
        context.User = principal;
        return new AuthResult(new Caller(org, permissions, $"jwt:{org}:{subject}", ExpiresAt: expires), null);
    }

    private static bool LooksLikeJwt(string token) =>
        !token.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal) && token.Count(c => c == '.') == 2;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Orchestration:Auth:JwtScheme '{Scheme}' could not validate a bearer token ({ExceptionType}: {Reason}); answered 401.")]
    private static partial void LogSchemeFailed(ILogger logger, string scheme, string exceptionType, string reason);
}

/// <summary>Checks a presented secret against a stored hash; a seam so tests can see that every attempt is hashed.</summary>
internal interface IApiKeyVerifier
{
    bool Verify(string id, string secret, string storedHash);
}

internal sealed class Sha256ApiKeyVerifier : IApiKeyVerifier
{
    public bool Verify(string id, string secret, string storedHash) => ApiKeyFormat.Verify(id, secret, storedHash);
}
