namespace Orchestration.Http.Platform.Auth;

/// <summary>
/// Host-issued JWTs (<c>Orchestration:Jwt</c>): with a signing key set, <c>POST /api/auth/token</c> exchanges a valid
/// API key or user token for a short-lived JWT signed by this host, and bearer tokens this host issued are accepted
/// next to API keys. A JWT names its key in <c>jti</c>: revoking the key refuses its JWTs at once.
/// </summary>
public sealed class HostJwtOptions
{
    /// <summary>Shortest HS256 key, in bytes (the algorithm's own hash size).</summary>
    public const int MinSigningKeyBytes = 32;

    /// <summary>Longest lifetime a host-issued JWT may be given: a day.</summary>
    public const int MaxLifetimeSeconds = 86_400;

    /// <summary>Largest accepted clock skew: five minutes.</summary>
    public const int MaxClockSkewSeconds = 300;

    /// <summary>HS256 secret (at least 32 bytes of UTF-8). Set this or <see cref="SigningKeyPem"/>, not both.</summary>
    public string? SigningKey { get; set; }

    /// <summary>An EC P-256 private key in PEM for ES256. Set this or <see cref="SigningKey"/>, not both.</summary>
    public string? SigningKeyPem { get; set; }

    /// <summary>The <c>iss</c> this host writes and requires. Default <c>orchestration</c>.</summary>
    public string Issuer { get; set; } = "orchestration";

    /// <summary>The <c>aud</c> this host writes and requires. Default <c>orchestration-api</c>.</summary>
    public string Audience { get; set; } = "orchestration-api";

    /// <summary>Lifetime of an issued JWT, in seconds (never beyond its key's expiry). Default 900 (15 minutes).</summary>
    public int LifetimeSeconds { get; set; } = 900;

    /// <summary>Tolerated clock difference when checking <c>exp</c> and <c>nbf</c>, in seconds. Default 30.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>True when a signing key is configured.</summary>
    public bool Enabled => !string.IsNullOrEmpty(SigningKey) || !string.IsNullOrEmpty(SigningKeyPem);
}

/// <summary>Refuses unusable <c>Orchestration:Jwt</c> settings when the host starts, naming the setting.</summary>
internal sealed class HostJwtOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<OrchestrationHttpOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, OrchestrationHttpOptions options) =>
        HostJwt.Problem(options.Jwt) is { } problem
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problem)
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
