using Orchestration.Domain;

namespace Orchestration.Artifacts;

/// <summary>
/// Where <see cref="Execution.TaskContext.UploadArtifactAsync"/> sends a task's artifacts. In a host with
/// <c>AddArtifacts</c> it is the host's own artifact client; a remote executor registers one that uploads over the
/// executor protocol with the lease it holds (docs/artifacts.md).
/// </summary>
public interface IArtifactUploader
{
    /// <summary>Stores <paramref name="content"/> as an artifact of <paramref name="task"/>, streamed.</summary>
    Task<Artifact> UploadAsync(TaskRun task, ArtifactUpload upload, Stream content, CancellationToken cancellationToken);
}

/// <summary>The in-process uploader: straight to the host's artifact client.</summary>
internal sealed class ClientArtifactUploader(IArtifactClient client) : IArtifactUploader
{
    public Task<Artifact> UploadAsync(TaskRun task, ArtifactUpload upload, Stream content, CancellationToken cancellationToken) =>
        client.UploadAsync(upload, content, cancellationToken);
}
