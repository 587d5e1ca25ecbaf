using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Http.Platform.Auth;

/// <summary>
/// Issues and validates this host's own JWTs. The algorithm is pinned to the configured key's (HS256 or ES256), so a
/// token saying <c>alg: none</c> or another algorithm is refused before its claims are read; issuer and audience must
/// be this host's. Lifetime is checked here against <see cref="TimeProvider"/> with a small skew. A valid signature is
/// not enough: the key named in <c>jti</c> must still be live (not revoked, not expired, same org), and its stored
/// permissions, not the token's, are what the caller gets.
/// </summary>
internal sealed class HostJwt
{
    private const string OrgClaim = "org_id";
    private const string PermissionsClaim = "permissions";

    private readonly HostJwtOptions _options;
    private readonly IIdentityStore _identity;
    private readonly IUserStore _users;
    private readonly TimeProvider _time;
    private readonly SecurityKey? _key;
    private readonly string _algorithm = SecurityAlgorithms.HmacSha256;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public HostJwt(IOptions<OrchestrationHttpOptions> options, IIdentityStore identity, IUserStore users, TimeProvider time)
    {
        _options = options.Value.Jwt;
        _identity = identity;
        _users = users;
        _time = time;
        if (!string.IsNullOrEmpty(_options.SigningKeyPem))
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(_options.SigningKeyPem);
            _key = new ECDsaSecurityKey(ec);
            _algorithm = SecurityAlgorithms.EcdsaSha256;
        }
        else if (!string.IsNullOrEmpty(_options.SigningKey))
        {
            _key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(_options.SigningKey));
        }
    }

    public bool Enabled => _key is not null;

    /// <summary>Why the options cannot be used, or null; checked when the host starts.</summary>
    public static string? Problem(HostJwtOptions options)
    {
        if (!options.Enabled) return null;
        if (!string.IsNullOrEmpty(options.SigningKey) && !string.IsNullOrEmpty(options.SigningKeyPem))
            return "Orchestration:Jwt: set SigningKey (HS256) or SigningKeyPem (ES256), not both";
        if (!string.IsNullOrEmpty(options.SigningKey) && Encoding.UTF8.GetByteCount(options.SigningKey) < HostJwtOptions.MinSigningKeyBytes)
            return $"Orchestration:Jwt:SigningKey must be at least {HostJwtOptions.MinSigningKeyBytes} bytes";
        if (!string.IsNullOrEmpty(options.SigningKeyPem))
        {
            try
            {
                using var ec = ECDsa.Create();
                ec.ImportFromPem(options.SigningKeyPem);
                if (ec.KeySize != 256) return "Orchestration:Jwt:SigningKeyPem must be an EC P-256 private key (ES256)";
                ec.ExportParameters(includePrivateParameters: true);
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                return "Orchestration:Jwt:SigningKeyPem is not an EC private key in PEM: " + e.Message;
            }
        }

        if (string.IsNullOrWhiteSpace(options.Issuer)) return "Orchestration:Jwt:Issuer must not be empty";
        if (string.IsNullOrWhiteSpace(options.Audience)) return "Orchestration:Jwt:Audience must not be empty";
        if (options.LifetimeSeconds is < 1 or > HostJwtOptions.MaxLifetimeSeconds)
            return $"Orchestration:Jwt:LifetimeSeconds must be between 1 and {HostJwtOptions.MaxLifetimeSeconds}";
        if (options.ClockSkewSeconds is < 0 or > HostJwtOptions.MaxClockSkewSeconds)
            return $"Orchestration:Jwt:ClockSkewSeconds must be between 0 and {HostJwtOptions.MaxClockSkewSeconds}";
        return null;
    }

    /// <summary>A JWT for <paramref name="key"/>, expiring after the configured lifetime or with the key, whichever is first.</summary>
    public (string Token, DateTimeOffset ExpiresAt) Issue(ApiKeyRecord key, string subject)
    {
        var now = _time.GetUtcNow();
        var expires = now.AddSeconds(_options.LifetimeSeconds);
        if (key.ExpiresAt is { } keyExpiry && keyExpiry < expires) expires = keyExpiry;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(_key, _algorithm),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["jti"] = key.Id,
                [OrgClaim] = key.OrgId,
                [PermissionsClaim] = string.Join(' ', key.Permissions),
            },
        });
        return (token, expires);
    }

    /// <summary>The caller a host-issued JWT stands for, or the reason it is refused.</summary>
    public async Task<AuthResult> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            IssuerSigningKey = _key,
            ValidAlgorithms = [_algorithm],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            // Checked below against the injected clock, so hosts and tests agree on "now".
            ValidateLifetime = false,
            ValidateIssuerSigningKey = true,
        });
        if (!result.IsValid) return AuthResult.Invalid("invalid token: " + Reason(result.Exception));

        var now = _time.GetUtcNow();
        var skew = TimeSpan.FromSeconds(_options.ClockSkewSeconds);
        if (Seconds(result, "exp") is not { } exp) return AuthResult.Invalid("token has no 'exp' claim");
        if (DateTimeOffset.FromUnixTimeSeconds(exp) + skew <= now) return AuthResult.Invalid("token has expired");
        if (Seconds(result, "nbf") is { } nbf && DateTimeOffset.FromUnixTimeSeconds(nbf) - skew > now) return AuthResult.Invalid("token is not valid yet");
        if (Text(result, "jti") is not { Length: > 0 } keyId || Text(result, OrgClaim) is not { Length: > 0 } org)
            return AuthResult.Invalid("token has no 'jti' or 'org_id' claim");

        var key = await _identity.FindApiKeyAsync(keyId, cancellationToken);
        if (key is null || !string.Equals(key.OrgId, org, StringComparison.Ordinal)) return AuthResult.Invalid("the token's key does not exist");
        if (key.RevokedAt is not null) return AuthResult.Invalid("the token's key has been revoked");
        if (key.ExpiresAt is { } keyExpiry && keyExpiry <= now) return AuthResult.Invalid("the token's key has expired");

        IReadOnlyCollection<string> permissions = key.Permissions;
        if (await _users.FindTokenOwnerAsync(key.Id, cancellationToken) is { } owner)
        {
            if (owner.Locked) return AuthResult.Invalid("the token's user is locked");
            // A user's token never holds more than its user does now, even when the user lost permissions since.
            permissions = key.Permissions.Where(p => Permissions.Grants(owner.Permissions, p)).ToList();
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(exp);
        if (key.ExpiresAt is { } k && k < expires) expires = k;
        var caller = new Caller(key.OrgId, new HashSet<string>(permissions, StringComparer.Ordinal), "key:" + key.Id, key.RateLimit, key.RateLimitWindowSeconds, expires);
        return new AuthResult(caller, null);
    }

    private static long? Seconds(TokenValidationResult result, string claim) =>
        result.Claims.TryGetValue(claim, out var value) ? value switch
        {
            long l => l,
            int i => i,
            double d => (long)d,
            string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        } : null;

    private static string? Text(TokenValidationResult result, string claim) =>
        result.Claims.TryGetValue(claim, out var value) ? value as string : null;

    // The handler's messages can quote the token; only the kind of failure goes back to the client.
    private static string Reason(Exception? e) => e switch
    {
        SecurityTokenInvalidAlgorithmException => "algorithm not accepted",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "bad signature",
        SecurityTokenInvalidIssuerException => "issuer not accepted",
        SecurityTokenInvalidAudienceException => "audience not accepted",
        SecurityTokenMalformedException => "malformed",
        _ => "not accepted",
    };
}
