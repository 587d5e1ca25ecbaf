using System.Net;
using System.Net.Http;
using System.Net.Sockets;

// Shared source: compiled into Orchestration.Exec (downloads of executables) and Orchestration.Http (webhook
// deliveries) as an internal type of each, so both refuse the same targets by one set of rules without adding
// public API.
namespace Orchestration.Security;

/// <summary>
/// Builds <see cref="SocketsHttpHandler"/>s whose every new connection is vetted by <see cref="NetworkGuard"/>: the
/// handler resolves the name itself, refuses the connection if any resolved address is refused, and connects to an
/// address it vetted. Checking at connect time (not on the URL) is what covers DNS answers that point inside, DNS
/// rebinding between a check and a connect, numeric host spellings and redirects.
/// </summary>
internal sealed class GuardedConnector
{
    private readonly bool _allowPrivate;
    private readonly IReadOnlyList<IPNetwork> _allowed;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;
    private readonly string _allowSetting;

    /// <param name="allowPrivate">True turns the guard off (every address is allowed).</param>
    /// <param name="allowed">Networks exempt from the guard.</param>
    /// <param name="resolve">DNS resolution; tests substitute it to return chosen answers.</param>
    /// <param name="allowSetting">The configuration key that lifts the guard, named in refusals; the exec type's by default.</param>
    public GuardedConnector(bool allowPrivate, IReadOnlyList<IPNetwork>? allowed = null, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null,
        string allowSetting = NetworkGuard.AllowPrivateNetworkTargetsKey)
    {
        _allowSetting = allowSetting;
        _allowPrivate = allowPrivate;
        _allowed = allowed ?? [];
        _resolve = resolve ?? Dns.GetHostAddressesAsync;
    }

    /// <summary>Whether the guard is off.</summary>
    public bool AllowPrivate => _allowPrivate;

    /// <summary>
    /// A handler that never follows redirects (callers follow them and re-check each hop) and never uses a proxy:
    /// through a proxy the connection would go to the proxy and the real target would never be checked.
    /// </summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        // New connections re-resolve and re-check; a bounded lifetime keeps a pooled connection from outliving a DNS change forever.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = ConnectAsync,
    };

    /// <summary>Throws <see cref="NetworkTargetRefusedException"/> when a URL's host is refused by name or as a literal address.</summary>
    public void CheckHost(Uri uri)
    {
        if (_allowPrivate) return;
        var host = uri.IdnHost;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            if (NetworkGuard.Check(literal, _allowed) is { } reason) throw NetworkTargetRefusedException.For(literal.ToString(), reason, _allowSetting);
        }
        else if (NetworkGuard.CheckHostName(host) is { } reason)
        {
            throw NetworkTargetRefusedException.For(host, reason, _allowSetting);
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var port = context.DnsEndPoint.Port;
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            if (!_allowPrivate && NetworkGuard.CheckHostName(host) is { } nameReason) throw NetworkTargetRefusedException.For(host, nameReason, _allowSetting);
            addresses = await _resolve(host, cancellationToken);
            if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        }

        if (!_allowPrivate)
        {
            // One refused answer refuses the name: connecting to "the other" address would let a mixed answer steer retries inside.
            foreach (var address in addresses)
            {
                if (NetworkGuard.Check(address, _allowed) is { } reason)
                    throw NetworkTargetRefusedException.For(host == address.ToString() ? host : $"{host} ({address})", reason, _allowSetting);
            }
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
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
