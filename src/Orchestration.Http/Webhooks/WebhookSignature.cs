using System.Security.Cryptography;
using System.Text;

namespace Orchestration.Http.Webhooks;

/// <summary>
/// Standard Webhooks signing: <c>webhook-signature</c> is <c>v1,</c> + base64(HMAC-SHA256(key, "id.timestamp.body")).
/// The key is the decoded bytes of a <c>whsec_&lt;base64&gt;</c> secret (the Standard Webhooks form) or the UTF-8 bytes
/// of any other string (FlowCtl's configuration example uses plain strings such as <c>webhook_secret</c>).
/// </summary>
internal static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    private const long MaxUnixSeconds = 253_402_300_799; // 9999-12-31, the last second DateTimeOffset represents

    /// <summary>The HMAC key of a secret; throws <see cref="FormatException"/> for a <c>whsec_</c> secret that is not base64.</summary>
    public static byte[] KeyOf(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        return secret.StartsWith(SecretPrefix, StringComparison.Ordinal)
            ? Convert.FromBase64String(secret[SecretPrefix.Length..])
            : Encoding.UTF8.GetBytes(secret);
    }

    /// <summary>Why <paramref name="secret"/> cannot sign, or null.</summary>
    public static string? SecretProblem(string? secret)
    {
        if (string.IsNullOrEmpty(secret)) return "is required";
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal)) return null;
        try
        {
            // An empty key would make every signature forgeable by anyone who knows the scheme.
            return KeyOf(secret).Length == 0 ? "must not have an empty key after whsec_" : null;
        }
        catch (FormatException)
        {
            return "must be base64 after whsec_";
        }
    }

    /// <summary>The <c>webhook-signature</c> header value for one message.</summary>
    public static string Sign(string secret, string messageId, long timestamp, string body) =>
        Sign(KeyOf(secret), messageId, timestamp, Encoding.UTF8.GetBytes(body));

    /// <summary>The <c>webhook-signature</c> header value over the exact body bytes sent.</summary>
    public static string Sign(byte[] key, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(FormattableString.Invariant($"{messageId}.{timestamp}."));
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    /// <summary>
    /// True when one of the space-separated signatures in <paramref name="header"/> matches and the timestamp is within
    /// <paramref name="tolerance"/> of <paramref name="now"/>. Compared in constant time. What docs/webhooks.md tells
    /// receivers to do; the tests' receiver uses it.
    /// </summary>
    public static bool Verify(string secret, string messageId, string timestampHeader, string header, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestampHeader, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var timestamp) || timestamp > MaxUnixSeconds) return false;
        if ((now - DateTimeOffset.FromUnixTimeSeconds(timestamp)).Duration() > tolerance) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, messageId, timestamp, body));
        foreach (var candidate in header.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(candidate))) return true;
        return false;
    }
}
