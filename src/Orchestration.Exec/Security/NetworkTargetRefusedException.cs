namespace Orchestration.Exec.Security;

/// <summary>Thrown when <see cref="NetworkGuard"/> refuses an outbound target (an address, a host name or a redirect).</summary>
internal sealed class NetworkTargetRefusedException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> names the target and the reason.</summary>
    public NetworkTargetRefusedException(string message) : base(message) { }

    /// <summary>Creates the exception with a generic message.</summary>
    public NetworkTargetRefusedException() : this("outbound target refused") { }

    /// <summary>Creates the exception with an inner exception.</summary>
    public NetworkTargetRefusedException(string message, Exception innerException) : base(message, innerException) { }

    internal static NetworkTargetRefusedException For(string target, string reason) =>
        new($"refused to connect to {target} ({reason}); outbound connections to private network targets are off " +
            $"(set {NetworkGuard.AllowPrivateNetworkTargetsKey}=true to allow them)");
}
