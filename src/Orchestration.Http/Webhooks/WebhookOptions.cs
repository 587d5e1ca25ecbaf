namespace Orchestration.Http;

/// <summary>
/// A webhook endpoint configured by the host (<c>Orchestration:Webhooks</c>, a list in FlowCtl's shape:
/// <c>url</c>, <c>events</c>, <c>secret</c>). It receives the events of every org unless <see cref="OrgId"/> names one.
/// </summary>
public sealed class WebhookEndpointOptions
{
    /// <summary>Where deliveries are POSTed (http or https).</summary>
    public string Url { get; set; } = "";

    /// <summary>Event names to deliver (<c>workflow.completed</c>, ...; <c>*</c> for all).</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>Signing secret: <c>whsec_&lt;base64&gt;</c> (the decoded bytes are the key) or a plain string (its UTF-8 bytes).</summary>
    public string Secret { get; set; } = "";

    /// <summary>Only this org's events, when set.</summary>
    public string? OrgId { get; set; }
}

/// <summary>How webhooks are delivered (<c>Orchestration:WebhookDelivery</c>).</summary>
public sealed class WebhookDeliveryOptions
{
    /// <summary>False stops the dispatcher on this host (another host may still deliver).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Allows webhook URLs that reach loopback, private, link-local, unique-local, multicast or unspecified addresses. Off
    /// by default: an API caller chooses the URL, and the host's own network is not theirs to reach.
    /// </summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>How long one delivery attempt may take.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>How long a failing delivery is retried before it is given up (at least a day by default).</summary>
    public int RetryHours { get; set; } = 25;

    /// <summary>The first retry's delay; each later one doubles it (with jitter) up to <see cref="MaxRetryDelaySeconds"/>.</summary>
    public int InitialRetryDelaySeconds { get; set; } = 5;

    /// <summary>The longest delay between two attempts.</summary>
    public int MaxRetryDelaySeconds { get; set; } = 3600;

    /// <summary>How often an idle dispatcher looks for new events and due retries.</summary>
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>How often a host with no webhook endpoint at all checks whether one was registered (seconds).</summary>
    public int IdleCheckSeconds { get; set; } = 30;

    /// <summary>Endpoints one org may register through the API.</summary>
    public int MaxEndpointsPerOrg { get; set; } = 20;

    /// <summary>Longest endpoint URL.</summary>
    public int MaxUrlLength { get; set; } = 2048;

    /// <summary>Most event names one endpoint may list.</summary>
    public int MaxEventsPerEndpoint { get; set; } = 32;

    /// <summary>Longest signing secret.</summary>
    public int MaxSecretLength { get; set; } = 256;

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    internal string? Validate()
    {
        if (TimeoutSeconds < 1) return "Orchestration:WebhookDelivery:TimeoutSeconds must be at least 1.";
        if (RetryHours < 1) return "Orchestration:WebhookDelivery:RetryHours must be at least 1.";
        if (InitialRetryDelaySeconds < 1 || MaxRetryDelaySeconds < InitialRetryDelaySeconds)
            return "Orchestration:WebhookDelivery:InitialRetryDelaySeconds must be at least 1 and at most MaxRetryDelaySeconds.";
        if (PollMilliseconds < 10) return "Orchestration:WebhookDelivery:PollMilliseconds must be at least 10.";
        if (IdleCheckSeconds is < 1 or > 3600) return "Orchestration:WebhookDelivery:IdleCheckSeconds must be between 1 and 3600.";
        if (MaxEndpointsPerOrg < 1 || MaxUrlLength < 10 || MaxEventsPerEndpoint < 1 || MaxSecretLength < 16)
            return "Orchestration:WebhookDelivery: MaxEndpointsPerOrg and MaxEventsPerEndpoint must be at least 1, MaxUrlLength at least 10, MaxSecretLength at least 16.";
        return null;
    }
}
