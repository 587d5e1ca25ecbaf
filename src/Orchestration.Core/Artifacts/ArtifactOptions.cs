namespace Orchestration.Artifacts;

/// <summary>Artifact settings (<c>Orchestration:Artifacts</c> in the sample host).</summary>
public sealed class ArtifactOptions
{
    /// <summary>Root directory of the filesystem content store; relative paths are taken from the working directory.</summary>
    public string RootPath { get; set; } = "artifacts";

    /// <summary>Largest artifact accepted, in bytes (1 GiB by default). Over it, an upload is refused and nothing is kept.</summary>
    public long MaxArtifactBytes { get; set; } = 1L << 30;

    /// <summary>Artifacts are deleted this long after they were stored; null (the default) keeps them.</summary>
    public TimeSpan? RetentionTtl { get; set; }

    /// <summary>How often the leader looks for expired artifacts.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Artifacts deleted per batch (one transaction each).</summary>
    public int RetentionBatchSize { get; set; } = 500;

    /// <summary>A message naming the first bad setting, or null.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(RootPath)) return "Orchestration:Artifacts:RootPath is required";
        if (MaxArtifactBytes < 1) return "Orchestration:Artifacts:MaxArtifactBytes must be positive";
        if (RetentionTtl is { } ttl && ttl < TimeSpan.Zero) return "Orchestration:Artifacts:RetentionTtl must not be negative";
        if (RetentionInterval <= TimeSpan.Zero) return "Orchestration:Artifacts:RetentionInterval must be positive";
        if (RetentionBatchSize is < 1 or > 10_000) return "Orchestration:Artifacts:RetentionBatchSize must be between 1 and 10000";
        return null;
    }
}
