using System.Net;
using System.Net.Sockets;

namespace Orchestration.Http.Webhooks;

/// <summary>
/// The SSRF guard of outbound webhook calls. A webhook URL is chosen by an API caller, so without it any key holder
/// could make the host POST to its own loopback services, the cloud metadata endpoint or the private network. The
/// address is checked when the connection is made (<see cref="SocketsHttpHandler.ConnectCallback"/>), on the address
/// actually connected to, so a name that resolves inside, or that changes its answer between a check and the connect
/// (DNS rebinding), is refused as well as a literal one. Redirects are never followed.
/// </summary>
internal sealed class WebhookTargetGuard(bool allowPrivateTargets, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
{
    private static readonly (IPNetwork Network, string Reason)[] Refused =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified address"),
        (IPNetwork.Parse("10.0.0.0/8"), "private address"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT address"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local address"),
        (IPNetwork.Parse("172.16.0.0/12"), "private address"),
        (IPNetwork.Parse("192.168.0.0/16"), "private address"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved or broadcast address"),
        (IPNetwork.Parse("::/128"), "unspecified address"),
        (IPNetwork.Parse("::1/128"), "loopback address"),
        (IPNetwork.Parse("fc00::/7"), "unique-local address"),
        (IPNetwork.Parse("fe80::/10"), "link-local address"),
        (IPNetwork.Parse("fec0::/10"), "site-local address"),
        (IPNetwork.Parse("ff00::/8"), "multicast address"),
    ];

    // IPv6 forms whose low 32 bits are an IPv4 address the packet may end up at: judged by that address.
    private static readonly IPNetwork[] EmbeddingV4 =
    [
        IPNetwork.Parse("::/96"),           // IPv4-compatible (deprecated, still routed by some stacks)
        IPNetwork.Parse("64:ff9b::/96"),    // NAT64
    ];

    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? Dns.GetHostAddressesAsync;

    /// <summary>Why a connection to <paramref name="address"/> is refused, or null for a public address.</summary>
    public static string? Check(IPAddress address)
    {
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) return "unsupported address family";
        // The scope id does not change where a packet goes; dropped so the ranges compare plain addresses.
        var plain = address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
        if (plain.IsIPv4MappedToIPv6)
        {
            var reason = Check(plain.MapToIPv4());
            return reason is null ? null : reason + " embedded in IPv6";
        }

        foreach (var network in EmbeddingV4)
        {
            // "::" and "::1" sit inside ::/96 but are their own thing, caught by the table below.
            if (plain.AddressFamily == AddressFamily.InterNetworkV6 && network.Contains(plain) && !plain.Equals(IPAddress.IPv6Any) && !plain.Equals(IPAddress.IPv6Loopback))
            {
                var bytes = plain.GetAddressBytes();
                var reason = Check(new IPAddress(bytes.AsSpan(12, 4)));
                return reason is null ? null : reason + " embedded in IPv6";
            }
        }

        foreach (var (network, reason) in Refused)
            if (network.BaseAddress.AddressFamily == plain.AddressFamily && network.Contains(plain)) return reason;
        return null;
    }

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
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            ? "targets a loopback address"
            : null;
    }

    /// <summary>The handler webhook deliveries use: every new connection goes through the guard; no redirects, proxy or cookies.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        // New connections resolve and check again; a bounded lifetime keeps a pooled one from outliving a DNS change.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = ConnectAsync,
    };

    internal async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await _resolve(host, cancellationToken);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        if (!allowPrivateTargets)
        {
            // One refused answer refuses the name: falling back to "the other" address would let a mixed answer in.
            foreach (var address in addresses)
                if (Check(address) is { } reason)
                    throw new WebhookTargetRefusedException($"Webhook target {host} ({address}) refused: {reason}");
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // Connects to the address checked above, never to a name resolved again.
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }
}

/// <summary>A webhook connection the SSRF guard refused.</summary>
internal sealed class WebhookTargetRefusedException(string message) : IOException(message);
