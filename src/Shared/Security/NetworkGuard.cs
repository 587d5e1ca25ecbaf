using System.Net;
using System.Net.Sockets;

// Shared source: compiled into Orchestration.Exec (downloads of executables) and Orchestration.Http (webhook
// deliveries) as an internal type of each, so both refuse the same targets by one set of rules without adding
// public API.
namespace Orchestration.Security;

/// <summary>
/// Decides whether an outbound connection may go to an address or host name. Refuses everything that reaches the
/// host itself or its private surroundings: loopback, private and unique-local ranges, link-local (which holds the
/// cloud metadata endpoint 169.254.169.254), carrier-grade NAT, unspecified, multicast, broadcast and reserved
/// ranges, the same addresses embedded in IPv6 (IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64, 6to4), and well-known metadata
/// host names. Used at connect time so that DNS answers and redirects are checked too, not only the URL as written.
/// </summary>
internal static class NetworkGuard
{
    /// <summary>Configuration key that turns the guard off for hosts that must reach private targets.</summary>
    public const string AllowPrivateNetworkTargetsKey = "Orchestration:Security:AllowPrivateNetworkTargets";

    // Ranges written out by hand rather than derived from IPAddress helpers: the helpers do not cover CGNAT, the
    // reserved ranges or embedded IPv4, and the list is what a reviewer has to check.
    private static readonly (IPNetwork Network, string Reason)[] BlockedV4 =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified address"),
        (IPNetwork.Parse("10.0.0.0/8"), "private address"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT address"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local or metadata address"),
        (IPNetwork.Parse("172.16.0.0/12"), "private address"),
        (IPNetwork.Parse("192.0.0.0/24"), "IETF protocol assignment address"),
        (IPNetwork.Parse("192.168.0.0/16"), "private address"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking address"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved or broadcast address"),
    ];

    private static readonly (IPNetwork Network, string Reason)[] BlockedV6 =
    [
        (IPNetwork.Parse("::/128"), "unspecified address"),
        (IPNetwork.Parse("::1/128"), "loopback address"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "local-use NAT64 address"),
        (IPNetwork.Parse("100::/64"), "discard-only address"),
        (IPNetwork.Parse("fc00::/7"), "unique-local (private) address"),
        (IPNetwork.Parse("fe80::/10"), "link-local address"),
        (IPNetwork.Parse("fec0::/10"), "site-local address"),
        (IPNetwork.Parse("ff00::/8"), "multicast address"),
    ];

    // Prefixes whose low bits carry an IPv4 address that the network may route to: the embedded address decides.
    private static readonly IPNetwork V4Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork V4Translated = IPNetwork.Parse("::ffff:0:0:0/96");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    // Names that resolve to metadata services from inside cloud instances; refused by name because some are served
    // by a resolver only the instance can query, so the address check alone could be bypassed by a split-horizon answer.
    private static readonly HashSet<string> BlockedHostNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.com",
        "metadata.tencentyun.com",
        "instance-data",
        "instance-data.ec2.internal",
    };

    /// <summary>
    /// Returns why <paramref name="address"/> is refused, or null when it is a public address. Addresses inside
    /// <paramref name="allowed"/> are never refused (an operator's explicit exception, e.g. an internal artifact server).
    /// </summary>
    public static string? Check(IPAddress address, IReadOnlyList<IPNetwork>? allowed = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        var normalised = Normalise(address);
        if (allowed is not null)
        {
            foreach (var network in allowed)
                if (Contains(network, normalised)) return null;
        }

        return Classify(normalised);
    }

    /// <summary>Returns why <paramref name="host"/> (a DNS name as written in a URL) is refused by name, or null.</summary>
    public static string? CheckHostName(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var name = host.TrimEnd('.');
        if (name.Length == 0) return "empty host name";
        if (BlockedHostNames.Contains(name)) return "metadata or local host name";
        if (name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return "local host name";
        return null;
    }

    private static string? Classify(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            foreach (var (network, reason) in BlockedV4)
                if (network.Contains(address)) return reason;
            return null;
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6) return "unsupported address family";

        foreach (var (network, reason) in BlockedV6)
            if (network.Contains(address)) return reason;

        var embedded = EmbeddedV4(address);
        if (embedded is not null)
        {
            var reason = Classify(embedded);
            return reason is null ? null : $"{reason} embedded in IPv6";
        }

        return null;
    }

    // IPv4-mapped addresses (::ffff:a.b.c.d) are the IPv4 address on the wire, so they are judged as IPv4 from the
    // start; the scope id is dropped because it does not change where a packet goes.
    private static IPAddress Normalise(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0) return new IPAddress(address.GetAddressBytes());
        return address;
    }

    private static bool Contains(IPNetwork network, IPAddress address)
    {
        if (network.BaseAddress.AddressFamily == address.AddressFamily) return network.Contains(address);
        // An allow-list entry written as IPv4 also covers the IPv4-mapped form and vice versa.
        if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork && address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6)
            return network.Contains(address.MapToIPv4());
        return false;
    }

    private static IPAddress? EmbeddedV4(IPAddress v6)
    {
        var bytes = v6.GetAddressBytes();
        if (V4Compatible.Contains(v6) || V4Translated.Contains(v6) || Nat64.Contains(v6)) return new IPAddress(bytes.AsSpan(12, 4));
        if (SixToFour.Contains(v6)) return new IPAddress(bytes.AsSpan(2, 4));
        return null;
    }
}
