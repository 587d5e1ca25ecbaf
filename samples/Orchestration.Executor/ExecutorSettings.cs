namespace Orchestration.Executor;

/// <summary>Settings from the <c>Executor</c> section (environment: <c>Executor__Server</c>, ...; or <c>--Executor:Server=...</c>).</summary>
internal sealed class ExecutorSettings
{
    public string? Server { get; set; }

    public string? ApiKey { get; set; }

    public string Id { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    public string? Ip { get; set; }

    /// <summary>Must be well under the server's heartbeat timeout (default 15 s).</summary>
    public double HeartbeatSeconds { get; set; } = 5;

    /// <summary>Wait after an empty claim.</summary>
    public double PollSeconds { get; set; } = 1;

    /// <summary>Networks the binary download may reach despite the SSRF guard, e.g. an internal artifact server.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>Where binaries are cached and jobs run; default under the temp directory.</summary>
    public string? WorkDirectory { get; set; }

    public string? Validate()
    {
        if (!Uri.TryCreate(Server, UriKind.Absolute, out _)) return "Executor:Server must be the server's base URL, e.g. http://127.0.0.1:8080";
        if (string.IsNullOrWhiteSpace(ApiKey)) return "Executor:ApiKey is required (a key with jobs:execute)";
        if (HeartbeatSeconds <= 0 || PollSeconds <= 0) return "Executor:HeartbeatSeconds and PollSeconds must be positive";
        return null;
    }
}
