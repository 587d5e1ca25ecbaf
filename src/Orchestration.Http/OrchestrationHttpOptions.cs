namespace Orchestration.Http;

/// <summary>
/// Settings of the HTTP platform, bound from the <c>Orchestration</c> configuration section
/// (<c>Orchestration:Auth</c>, <c>Orchestration:RateLimits</c>, <c>Orchestration:Http</c>,
/// <c>Orchestration:Limits</c>).
/// </summary>
public sealed class OrchestrationHttpOptions
{
    /// <summary>Authentication settings.</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Host-issued JWTs (<c>Orchestration:Jwt</c>): signing key, issuer, audience, lifetime, clock skew.</summary>
    public Platform.Auth.HostJwtOptions Jwt { get; set; } = new();

    /// <summary>Rate limits per API key and per client IP.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Request limits.</summary>
    public HttpLimitOptions Http { get; set; } = new();

    /// <summary>Remote executor settings (<c>Orchestration:Executors</c>).</summary>
    public ExecutorsOptions Executors { get; set; } = new();

    /// <summary>Caps on identifiers, lists and list responses (<c>Orchestration:Limits</c>).</summary>
    public LimitOptions Limits { get; set; } = new();

    /// <summary>Webhook endpoints configured by the host (<c>Orchestration:Webhooks</c>), besides those orgs register through the API.</summary>
    public List<WebhookEndpointOptions> Webhooks { get; set; } = [];

    /// <summary>How webhooks are delivered (<c>Orchestration:WebhookDelivery</c>).</summary>
    public WebhookDeliveryOptions WebhookDelivery { get; set; } = new();

    /// <summary>The events endpoint's stream (<c>Orchestration:Events</c>).</summary>
    public EventStreamOptions Events { get; set; } = new();

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    public string? Validate()
    {
        if (WebhookDelivery.Validate() is { } deliveryProblem) return deliveryProblem;
        if (Events.Validate() is { } eventsProblem) return eventsProblem;
        for (var i = 0; i < Webhooks.Count; i++)
        {
            var w = Webhooks[i];
            if (!Uri.TryCreate(w.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                return $"Orchestration:Webhooks:{i}:Url must be an absolute http or https URL.";
            if (global::Orchestration.Http.Webhooks.WebhookSignature.SecretProblem(w.Secret) is { } secretProblem) return $"Orchestration:Webhooks:{i}:Secret {secretProblem}.";
            if (w.Events.Count == 0) return $"Orchestration:Webhooks:{i}:Events must list at least one event.";
            if (w.Events.FirstOrDefault(e => !global::Orchestration.Http.Webhooks.WebhookEvents.Known.Contains(e)) is { } unknown)
                return $"Orchestration:Webhooks:{i}:Events: unknown event '{unknown}'.";
        }

        if (!string.IsNullOrEmpty(Auth.BootstrapApiKey) && AuthOptions.BootstrapKeyWeakness(Auth.BootstrapApiKey) is { } weakness)
            return $"Orchestration:Auth:BootstrapApiKey {weakness}.";
        if (RateLimits.PerKey.Limit < 1 || RateLimits.PerKey.WindowSeconds < 1)
            return "Orchestration:RateLimits:PerKey:Limit and WindowSeconds must be at least 1.";
        if (RateLimits.PerIp.Limit < 1 || RateLimits.PerIp.WindowSeconds < 1)
            return "Orchestration:RateLimits:PerIp:Limit and WindowSeconds must be at least 1.";
        if (RateLimits.PerExecutor.Limit < 1 || RateLimits.PerExecutor.WindowSeconds < 1)
            return "Orchestration:RateLimits:PerExecutor:Limit and WindowSeconds must be at least 1.";
        if (Http.MaxRequestBodyBytes < 1) return "Orchestration:Http:MaxRequestBodyBytes must be at least 1.";
        if (Http.MaxUrlLength < 1) return "Orchestration:Http:MaxUrlLength must be at least 1.";
        if (Http.MaxRequestHeadersBytes < 1) return "Orchestration:Http:MaxRequestHeadersBytes must be at least 1.";
        if (Executors.HeartbeatTimeoutSeconds < 1) return "Orchestration:Executors:HeartbeatTimeoutSeconds must be at least 1.";
        if (Executors.RegistryRetentionSeconds < Executors.HeartbeatTimeoutSeconds)
            return "Orchestration:Executors:RegistryRetentionSeconds must be at least HeartbeatTimeoutSeconds.";
        if (Executors.MaxExecutorsPerOrg < 1) return "Orchestration:Executors:MaxExecutorsPerOrg must be at least 1.";
        return Limits.Validate();
    }
}

/// <summary>Authentication settings (<c>Orchestration:Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>Shortest accepted bootstrap key (and, for keys in the <c>orch_&lt;id&gt;_&lt;secret&gt;</c> form, secret part).</summary>
    public const int MinBootstrapKeyLength = 32;

    /// <summary>Fewest distinct characters a bootstrap secret must use, which rules out <c>aaaa...</c> and the like.</summary>
    public const int MinBootstrapDistinctCharacters = 10;

    /// <summary>
    /// Why <paramref name="key"/> is too weak to be the bootstrap key, or null. A key in the <c>orch_&lt;id&gt;_&lt;secret&gt;</c>
    /// form is split like any API key, so its secret part alone is what an attacker has to guess and what is checked.
    /// </summary>
    internal static string? BootstrapKeyWeakness(string key)
    {
        if (key.Length < MinBootstrapKeyLength) return $"must be at least {MinBootstrapKeyLength} characters";
        if (!Platform.Auth.ApiKeyFormat.TryParse(key, out _, out var secret)) return "is not a valid key (orch_<id>_<secret>, or any other string)";
        if (secret.Length < MinBootstrapKeyLength)
            return $"has a secret part (what follows orch_<id>_) of {secret.Length} characters; it must be at least {MinBootstrapKeyLength}";
        if (secret.Distinct().Count() < MinBootstrapDistinctCharacters)
            return $"is too predictable: its secret must use at least {MinBootstrapDistinctCharacters} different characters";
        return null;
    }

    /// <summary>
    /// False turns authentication off (local development only): every request acts for the <c>default</c> org with every
    /// permission, including <c>admin</c>. Default true.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// An admin key (any string of at least 32 characters using at least 10 different ones; in the
    /// <c>orch_&lt;id&gt;_&lt;secret&gt;</c> form the secret part alone must meet that) stored hashed at start-up for the
    /// <c>default</c> org with the permissions <c>admin</c> and <c>*</c>. When null and no key exists yet, a key is generated at first start
    /// and logged once.
    /// </summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>
    /// False stops the generation of a first admin key when no key exists and none is configured. Default true.
    /// </summary>
    public bool GenerateBootstrapKey { get; set; } = true;

    /// <summary>
    /// Receives the admin key generated on a fresh database (see <see cref="GenerateBootstrapKey"/>), once, so the host can
    /// show it where its operator looks (the sample host prints it in its start-up banner). When set, the key is handed
    /// over instead of being written to the log, where log shipping would copy a secret; null (the default) logs it once
    /// at Warning.
    /// </summary>
    public Action<string>? BootstrapKeyCreated { get; set; }

    /// <summary>
    /// The authentication scheme (registered by the host, e.g. with <c>AddJwtBearer()</c>) that validates bearer tokens
    /// shaped like JWTs. Null (the default) accepts API keys only. The token's <c>org_id</c> claim names the org and
    /// its <c>permissions</c> claims (one per value, or space-separated) grant permissions.
    /// </summary>
    public string? JwtScheme { get; set; }

    /// <summary>The JWT claim naming the caller's org. Default <c>org_id</c>.</summary>
    public string OrgClaim { get; set; } = "org_id";

    /// <summary>The JWT claim(s) carrying permissions. Default <c>permissions</c>.</summary>
    public string PermissionsClaim { get; set; } = "permissions";
}

/// <summary>Rate limits (<c>Orchestration:RateLimits</c>).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Per API key (Foreman's default: 100 requests per 15 minutes). A key's own <c>rateLimit</c> overrides it.</summary>
    public RateLimitWindow PerKey { get; set; } = new() { Limit = 100, WindowSeconds = 900 };

    /// <summary>Per client IP for requests without a valid credential (FlowCtl's default: 100 per minute).</summary>
    public RateLimitWindow PerIp { get; set; } = new() { Limit = 100, WindowSeconds = 60 };

    /// <summary>
    /// Per executor (org and <c>executor_id</c>) for executor protocol calls (claim, heartbeat, complete, fail), which
    /// do not count against <see cref="PerKey"/>. Default 600 per minute: a poll every second plus a heartbeat and a
    /// report for each of many concurrent jobs stays far below it.
    /// </summary>
    public RateLimitWindow PerExecutor { get; set; } = new() { Limit = 600, WindowSeconds = 60 };
}

/// <summary>A fixed window: at most <see cref="Limit"/> requests per <see cref="WindowSeconds"/>.</summary>
public sealed class RateLimitWindow
{
    /// <summary>Requests allowed per window.</summary>
    public int Limit { get; set; }

    /// <summary>Window length in seconds.</summary>
    public int WindowSeconds { get; set; }
}

/// <summary>Request limits (<c>Orchestration:Http</c>).</summary>
public sealed class HttpLimitOptions
{
    /// <summary>Largest accepted request body; larger ones get 413. Default 10 MB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// Longest request target (path and query string, in characters); longer ones get a JSON 414. Default 4096, below
    /// Kestrel's own request-line limit (8 KB), so a too-long URL is answered with the platform's error body unless it
    /// exceeds Kestrel's limit too (then Kestrel answers without a body).
    /// </summary>
    public int MaxUrlLength { get; set; } = 4096;

    /// <summary>
    /// Largest total size of the request headers (names and values, in characters); larger ones get a JSON 431. Default
    /// 16384, below Kestrel's own limit (32 KB), for the same reason as <see cref="MaxUrlLength"/>.
    /// </summary>
    public int MaxRequestHeadersBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// False (the default): the platform's JSON errors, body limit and URL/header caps apply to <c>/api</c> and
    /// <c>/health</c> only, so an embedding host's own pages keep their own error handling. True: to every path of the
    /// host, so an unknown path anywhere answers <c>{"error": "Not found"}</c>. The sample host turns it on.
    /// </summary>
    public bool JsonErrorsOnAllPaths { get; set; }
}

/// <summary>Remote executor settings (<c>Orchestration:Executors</c>).</summary>
public sealed class ExecutorsOptions
{
    /// <summary>
    /// A job or task claimed over HTTP whose executor has not heartbeated for this many seconds loses its lease: the
    /// leader's reaper sends it back to pending (or to failed when its attempts are used up). It is also how long an
    /// executor stays in the admin list after its last call. Default 15, as the job queue API reference's executor uses.
    /// </summary>
    public int HeartbeatTimeoutSeconds { get; set; } = 15;

    /// <summary><see cref="HeartbeatTimeoutSeconds"/> as a span.</summary>
    public TimeSpan HeartbeatTimeout => TimeSpan.FromSeconds(HeartbeatTimeoutSeconds);

    /// <summary>
    /// Executors not seen for this many seconds are dropped from the executor registry (their counters with them).
    /// Default 86400 (a day).
    /// </summary>
    public int RegistryRetentionSeconds { get; set; } = 86_400;

    /// <summary><see cref="RegistryRetentionSeconds"/> as a span.</summary>
    public TimeSpan RegistryRetention => TimeSpan.FromSeconds(RegistryRetentionSeconds);

    /// <summary>
    /// Most executors the registry keeps per org; calls of further executor ids still work but are not registered
    /// until older ones expire. Default 1000.
    /// </summary>
    public int MaxExecutorsPerOrg { get; set; } = 1000;
}
