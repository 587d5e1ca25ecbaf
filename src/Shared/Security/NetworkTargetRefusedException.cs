// Shared source: compiled into Orchestration.Exec (downloads of executables) and Orchestration.Http (webhook
// deliveries) as an internal type of each, so both refuse the same targets by one set of rules without adding
// public API.
namespace Orchestration.Security;

/// <summary>Thrown when <see cref="NetworkGuard"/> refuses an outbound target (an address, a host name or a redirect).</summary>
internal sealed class NetworkTargetRefusedException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> names the target and the reason.</summary>
    public NetworkTargetRefusedException(string message) : base(message) { }

    /// <summary>Creates the exception with a generic message.</summary>
    public NetworkTargetRefusedException() : this("outbound target refused") { }

    /// <summary>Creates the exception with an inner exception.</summary>
    public NetworkTargetRefusedException(string message, Exception innerException) : base(message, innerException) { }

    internal static NetworkTargetRefusedException For(string target, string reason, string allowSetting) =>
        new($"refused to connect to {target} ({reason}); outbound connections to private network targets are off " +
            $"(set {allowSetting}=true to allow them)");
}
