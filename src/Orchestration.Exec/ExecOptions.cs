using System.Net;

namespace Orchestration.Exec;

/// <summary>Settings of the built-in <c>exec</c> task type; see <c>docs/exec.md</c>.</summary>
public sealed class ExecOptions
{
    /// <summary>Default of <see cref="MaxOutputBytes"/>: 1 MiB, the limit of the job queue API reference.</summary>
    public const int DefaultMaxOutputBytes = 1024 * 1024;

    /// <summary>
    /// Where verified binaries are kept, one file per SHA-256 (<c>&lt;dir&gt;/&lt;sha256&gt;</c>). Created owner-only;
    /// an existing directory must belong to this user and is tightened to owner-only. Its parent must not let other
    /// users rename entries (the sticky temp directory is fine). Default: <c>orchestration-exec-cache</c> under the temp directory.
    /// </summary>
    public string CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "orchestration-exec-cache");

    /// <summary>
    /// Parent of the fresh working directory each attempt gets (deleted afterwards); same ownership rules as
    /// <see cref="CacheDirectory"/>. Default: <c>orchestration-exec-work</c> under the temp directory.
    /// </summary>
    public string WorkDirectoryRoot { get; set; } = Path.Combine(Path.GetTempPath(), "orchestration-exec-work");

    /// <summary>A download larger than this fails the task for good. Default 256 MiB.</summary>
    public long MaxBinaryBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Bytes kept of each of stdout and stderr; the rest is read and discarded. Default 1 MiB.</summary>
    public int MaxOutputBytes { get; set; } = DefaultMaxOutputBytes;

    /// <summary>Limit of one download, redirects included. Default 5 minutes.</summary>
    public TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Process timeout when the input has no <c>timeout_seconds</c>; null means none (the task's own timeout still applies). Default null.</summary>
    public TimeSpan? DefaultTimeout { get; set; }

    /// <summary>
    /// After the process exited, how long to wait for its output pipes to close. A background grandchild that keeps
    /// them open would otherwise hold the task forever. Default 5 s.
    /// </summary>
    public TimeSpan OutputDrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// True lets downloads reach loopback, private, link-local and metadata addresses. Default false; also set by
    /// configuration key <c>Orchestration:Security:AllowPrivateNetworkTargets</c> (code set here wins).
    /// </summary>
    public bool AllowPrivateNetworkTargets { get; set; }

    /// <summary>Networks exempt from the guard even when private targets are refused, e.g. an internal artifact server's <c>10.20.0.0/16</c>.</summary>
    public IList<IPNetwork> AllowedNetworks { get; } = new List<IPNetwork>();

    /// <summary>URL schemes a binary may be downloaded from, at the start and after every redirect. Only http and https are accepted here.</summary>
    public ISet<string> AllowedSchemes { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "http", "https" };

    /// <summary>
    /// True (default) re-hashes a cached binary before every run and downloads it again when the hash no longer
    /// matches (corruption or tampering at rest). Costs one sequential read of the file per run.
    /// </summary>
    public bool VerifyCachedBinaries { get; set; } = true;

    /// <summary>PATH of the child's base environment. Default: the usual system directories.</summary>
    public string BasePath { get; set; } = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(CacheDirectory)) return "Orchestration: Exec.CacheDirectory must not be empty.";
        if (string.IsNullOrWhiteSpace(WorkDirectoryRoot)) return "Orchestration: Exec.WorkDirectoryRoot must not be empty.";
        if (MaxBinaryBytes < 1) return "Orchestration: Exec.MaxBinaryBytes must be at least 1.";
        if (MaxOutputBytes < 1) return "Orchestration: Exec.MaxOutputBytes must be at least 1.";
        if (DownloadTimeout <= TimeSpan.Zero) return "Orchestration: Exec.DownloadTimeout must be positive.";
        if (DefaultTimeout is { } t && t <= TimeSpan.Zero) return "Orchestration: Exec.DefaultTimeout must be positive when set.";
        if (OutputDrainTimeout < TimeSpan.Zero) return "Orchestration: Exec.OutputDrainTimeout must not be negative.";
        if (AllowedSchemes.Count == 0) return "Orchestration: Exec.AllowedSchemes must name http and/or https.";
        foreach (var scheme in AllowedSchemes)
        {
            if (!string.Equals(scheme, "http", StringComparison.OrdinalIgnoreCase) && !string.Equals(scheme, "https", StringComparison.OrdinalIgnoreCase))
                return $"Orchestration: Exec.AllowedSchemes may hold only http and https, not '{scheme}'.";
        }

        return null;
    }
}
