using System.Text.Json.Serialization;

namespace Orchestration.Exec;

/// <summary>
/// Output of an <c>exec</c> task (the job queue API reference's <c>stdout</c>, <c>stderr</c>, <c>exit_code</c>). Each stream keeps its
/// first <see cref="ExecOptions.MaxOutputBytes"/> bytes, decoded as UTF-8; the truncated flags say whether more was written.
/// Also stored as the partial output of a failed attempt (non-zero exit code or timeout).
/// </summary>
public sealed record ExecOutput
{
    /// <summary>Captured standard output.</summary>
    [JsonPropertyName("stdout")]
    public string Stdout { get; init; } = "";

    /// <summary>Captured standard error.</summary>
    [JsonPropertyName("stderr")]
    public string Stderr { get; init; } = "";

    /// <summary>The exit code; null when the process was killed (timeout or cancellation) before it exited on its own.</summary>
    [JsonPropertyName("exit_code")]
    public int? ExitCode { get; init; }

    /// <summary>True when the process wrote more to stdout than was kept.</summary>
    [JsonPropertyName("stdout_truncated")]
    public bool StdoutTruncated { get; init; }

    /// <summary>True when the process wrote more to stderr than was kept.</summary>
    [JsonPropertyName("stderr_truncated")]
    public bool StderrTruncated { get; init; }
}
