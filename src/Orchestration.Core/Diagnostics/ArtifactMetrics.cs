using System.Diagnostics.Metrics;

namespace Orchestration.Diagnostics;

/// <summary>Artifact instruments, on the engine's meter.</summary>
internal static class ArtifactMetrics
{
    internal static readonly Counter<long> Uploaded = OrchestrationMetrics.Meter.CreateCounter<long>("orchestration.artifacts.uploaded", description: "Artifacts stored");
    internal static readonly Counter<long> UploadedBytes = OrchestrationMetrics.Meter.CreateCounter<long>("orchestration.artifacts.uploaded.bytes", unit: "By", description: "Bytes of artifact content stored");
    internal static readonly Counter<long> RetentionDeleted = OrchestrationMetrics.Meter.CreateCounter<long>("orchestration.retention.artifacts.deleted", description: "Artifacts deleted by retention");
}
