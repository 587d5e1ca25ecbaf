using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Orchestration.Http.Platform.Auth;

/// <summary>
/// API keys look like <c>orch_&lt;id&gt;_&lt;secret&gt;</c>: the id finds the stored record, the secret is checked against
/// its hash. Written here rather than taken from a library because it is small and security-critical: the whole scheme
/// is visible in this file.
/// </summary>
internal static class ApiKeyFormat
{
    public const string Prefix = "orch_";
    private const int IdBytes = 8;
    private const int SecretBytes = 32;
    private const string BootstrapIdPrefix = "boot";

    /// <summary>A well-formed hash no secret matches in practice; unknown ids are verified against it.</summary>
    public static readonly string DummyHash = Hash("unknown", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretBytes)));

    /// <summary>A new key: 64-bit id, 256-bit secret, both from the OS CSPRNG.</summary>
    public static (string Id, string Key, string SecretHash) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdBytes));
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretBytes));
        return (id, $"{Prefix}{id}_{secret}", Hash(id, secret));
    }

    /// <summary>
    /// Splits a presented token into id and secret. Tokens not in the <c>orch_</c> format are operator-chosen bootstrap
    /// keys: their id is derived from the token itself so they can be found without a second lookup path.
    /// </summary>
    public static bool TryParse(string token, [NotNullWhen(true)] out string? id, [NotNullWhen(true)] out string? secret)
    {
        id = secret = null;
        if (string.IsNullOrEmpty(token)) return false;
        if (token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var rest = token.AsSpan(Prefix.Length);
            var sep = rest.IndexOf('_');
            if (sep <= 0 || sep == rest.Length - 1) return false;
            id = rest[..sep].ToString();
            secret = rest[(sep + 1)..].ToString();
            return true;
        }

        if (token.Length < AuthOptions.MinBootstrapKeyLength) return false;
        id = BootstrapId(token);
        secret = token;
        return true;
    }

    /// <summary>The record id of an operator-chosen key: a short digest, so changing the configured key yields a new record.</summary>
    public static string BootstrapId(string token)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("orchestration-bootstrap-id:" + token));
        return BootstrapIdPrefix + Convert.ToHexStringLower(digest.AsSpan(0, 8));
    }

    /// <summary>
    /// Unsalted SHA-256 over id and secret. Keys carry at least 128 bits of entropy, so a slow password hash buys nothing
    /// and would cost every request; binding the id stops a hash from being replayed under another record.
    /// </summary>
    public static string Hash(string id, string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id + ":" + secret)));

    /// <summary>Constant-time comparison of a presented secret with a stored hash.</summary>
    public static bool Verify(string id, string secret, string storedHash)
    {
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(id + ":" + secret));
        byte[] stored;
        try
        {
            stored = Convert.FromHexString(storedHash);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(presented, stored);
    }
}
