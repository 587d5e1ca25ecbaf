using System.Net;
using Orchestration.Security;

namespace Orchestration.Http.Webhooks;

/// <summary>
/// The SSRF guard of outbound webhook calls. A webhook URL is chosen by an API caller, so without it any key holder
/// could make the host POST to its own loopback services, the cloud metadata endpoint or the private network. The
/// rules are the platform's one outbound-network guard (<see cref="NetworkGuard"/>, shared with the exec type's
/// downloads): the address is checked when the connection is made, on the address actually connected to, so a name
/// that resolves inside, or that changes its answer between a check and the connect (DNS rebinding), is refused as well
/// as a literal one. Redirects are never followed. This class adds what a URL needs when it is registered.
/// </summary>
internal sealed class WebhookTargetGuard(bool allowPrivateTargets, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
{
    /// <summary>The setting that lifts the guard for webhooks, named in refusals.</summary>
    public const string AllowSetting = "Orchestration:WebhookDelivery:AllowPrivateTargets";

    private readonly GuardedConnector _connector = new(allowPrivateTargets, resolve: resolve, allowSetting: AllowSetting);

    /// <summary>Why a connection to <paramref name="address"/> is refused, or null for a public address.</summary>
    public static string? Check(IPAddress address) => NetworkGuard.Check(address);

    /// <summary>Why <paramref name="url"/> cannot be a webhook target as written, or null. The address is checked again at connect time.</summary>
    public string? UrlProblem(string? url, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(url)) return "is required";
        if (url.Length > maxLength) return $"must be at most {maxLength} characters";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return "must be an absolute http or https URL";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "must not carry credentials";
        if (allowPrivateTargets) return null;
        var host = uri.IdnHost.Trim('[', ']');
        if (IPAddress.TryParse(host, out var literal)) return Check(literal) is { } reason ? $"targets a {reason}" : null;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return "targets a loopback address";
        return NetworkGuard.CheckHostName(host) is { } named ? $"targets a {named}" : null;
    }

    /// <summary>The handler webhook deliveries use: every new connection goes through the guard; no redirects, proxy or cookies.</summary>
    public SocketsHttpHandler CreateHandler() => _connector.CreateHandler();
}
