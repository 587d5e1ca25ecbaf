using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Http.Auth;

/// <summary>The outcome of reading the request's credential.</summary>
internal readonly record struct AuthResult(Caller? Caller, string? Failure);

/// <summary>
/// Turns <c>Authorization: Bearer ...</c> into a <see cref="Caller"/>. API keys are looked up on every request (no
/// cache) so a revoked key stops working at once; JWTs go to the host's scheme when one is configured.
/// </summary>
internal sealed class CallerAuthenticator(IIdentityStore identity, IOptions<OrchestrationHttpOptions> options, TimeProvider time)
{
    private static readonly IReadOnlySet<string> Everything = new HashSet<string>(StringComparer.Ordinal) { Permissions.All, Permissions.Admin };
    private readonly AuthOptions _auth = options.Value.Auth;

    public async Task<AuthResult> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!_auth.Enabled) return new AuthResult(new Caller(Org.DefaultId, Everything, "auth-disabled"), null);

        var header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return new AuthResult(null, "Missing API key: send the header Authorization: Bearer YOUR_API_KEY");
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return new AuthResult(null, "Authorization header must use the Bearer scheme");
        var token = header["Bearer ".Length..].Trim();

        if (_auth.JwtScheme is { } scheme && LooksLikeJwt(token)) return await AuthenticateJwtAsync(context, scheme);

        if (!ApiKeyFormat.TryParse(token, out var id, out var secret)) return new AuthResult(null, "Invalid API key");
        var record = await identity.FindApiKeyAsync(id, cancellationToken);
        if (record is null || !ApiKeyFormat.Verify(id, secret, record.SecretHash)) return new AuthResult(null, "Invalid API key");
        if (record.RevokedAt is not null) return new AuthResult(null, "API key has been revoked");
        if (record.ExpiresAt is { } expires && expires <= time.GetUtcNow()) return new AuthResult(null, "API key has expired");

        var permissions = new HashSet<string>(record.Permissions, StringComparer.Ordinal);
        return new AuthResult(new Caller(record.OrgId, permissions, "key:" + record.Id, record.RateLimit, record.RateLimitWindowSeconds), null);
    }

    private async Task<AuthResult> AuthenticateJwtAsync(HttpContext context, string scheme)
    {
        var result = await context.AuthenticateAsync(scheme);
        if (!result.Succeeded || result.Principal is null) return new AuthResult(null, "Invalid token");
        var principal = result.Principal;
        var org = principal.FindFirst(_auth.OrgClaim)?.Value;
        if (string.IsNullOrEmpty(org)) return new AuthResult(null, $"Token has no '{_auth.OrgClaim}' claim");
        var permissions = principal.FindAll(_auth.PermissionsClaim)
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToHashSet(StringComparer.Ordinal);
        var subject = principal.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? principal.FindFirst("sub")?.Value ?? "anonymous";
        context.User = principal;
        return new AuthResult(new Caller(org, permissions, $"jwt:{org}:{subject}"), null);
    }

    private static bool LooksLikeJwt(string token) =>
        !token.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal) && token.Count(c => c == '.') == 2;
}
