using System.Globalization;
using Orchestration.Execution;

namespace Orchestration.Exec;

/// <summary>An <see cref="ExecInput"/> checked and normalised; every problem is a permanent failure (it will not fix itself).</summary>
internal sealed record ExecJob(Uri Url, string Sha256, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, TimeSpan? Timeout)
{
    public static ExecJob From(ExecInput? input, ExecOptions options)
    {
        if (input is null) throw Bad("input is required");
        if (string.IsNullOrWhiteSpace(input.BinaryUrl)) throw Bad("binary_url is required");
        if (!Uri.TryCreate(input.BinaryUrl, UriKind.Absolute, out var url)) throw Bad("binary_url is not an absolute URL");
        if (!options.AllowedSchemes.Contains(url.Scheme))
            throw Bad($"binary_url scheme '{url.Scheme}' is not allowed; allowed: {string.Join(", ", options.AllowedSchemes.Order(StringComparer.Ordinal))}");

        var sha = input.BinarySha256?.Trim() ?? "";
        if (sha.Length != 64 || !sha.All(char.IsAsciiHexDigit)) throw Bad("binary_sha256 must be 64 hexadecimal digits");

        var arguments = input.Arguments ?? [];
        for (var i = 0; i < arguments.Count; i++)
        {
            // execve takes C strings: a NUL would silently cut the argument short.
            if (arguments[i] is null) throw Bad($"arguments[{i}] is null");
            if (arguments[i].Contains('\0')) throw Bad($"arguments[{i}] contains a NUL character");
        }

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in input.EnvVariables ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=') || name.Contains('\0')) throw Bad($"env_variables name '{name}' is not a valid variable name");
            if (value is null) throw Bad($"env_variables['{name}'] is null");
            if (value.Contains('\0')) throw Bad($"env_variables['{name}'] contains a NUL character");
            environment[name] = value;
        }

        TimeSpan? timeout = options.DefaultTimeout;
        if (input.TimeoutSeconds is { } seconds)
        {
            if (!double.IsFinite(seconds) || seconds <= 0 || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
                throw Bad($"timeout_seconds must be a positive number, not {seconds.ToString(CultureInfo.InvariantCulture)}");
            timeout = TimeSpan.FromSeconds(seconds);
        }

        return new ExecJob(url, sha.ToLowerInvariant(), arguments, environment, timeout);
    }

    private static TaskFailedException Bad(string message) => new($"invalid exec input: {message}", retryable: false);
}
