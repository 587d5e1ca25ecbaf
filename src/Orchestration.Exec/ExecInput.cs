using System.Text.Json.Serialization;

namespace Orchestration.Exec;

/// <summary>
/// Input of an <c>exec</c> task, with the field names of the job queue API. The binary is downloaded
/// from <see cref="BinaryUrl"/>, must hash to <see cref="BinarySha256"/> before anything runs, and is started with
/// <see cref="Arguments"/> as separate argv entries (never through a shell) and <see cref="EnvVariables"/> on top of a
/// minimal environment.
/// </summary>
public sealed record ExecInput
{
    /// <summary>http or https URL of the executable. Redirects are followed (at most 5), each hop checked.</summary>
    [JsonPropertyName("binary_url")]
    public string? BinaryUrl { get; init; }

    /// <summary>Expected SHA-256 of the binary as 64 hex digits (either case).</summary>
    [JsonPropertyName("binary_sha256")]
    public string? BinarySha256 { get; init; }

    /// <summary>Command-line arguments, passed literally: no shell, no expansion, no quoting rules.</summary>
    [JsonPropertyName("arguments")]
    public IReadOnlyList<string>? Arguments { get; init; }

    /// <summary>Environment variables added to the minimal base environment; they override base entries of the same name.</summary>
    [JsonPropertyName("env_variables")]
    public IReadOnlyDictionary<string, string>? EnvVariables { get; init; }

    /// <summary>Kills the process tree and fails the attempt (retryable) after this many seconds; null uses <see cref="ExecOptions.DefaultTimeout"/>.</summary>
    [JsonPropertyName("timeout_seconds")]
    public double? TimeoutSeconds { get; init; }
}
