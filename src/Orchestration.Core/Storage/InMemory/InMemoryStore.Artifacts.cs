using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Artifact metadata, under the store's one lock like every other write.
public sealed partial class InMemoryStore : IArtifactMetadataStore
{
    private readonly List<Artifact> _artifacts = [];

    /// <inheritdoc />
    public Task RecordArtifactAsync(Artifact artifact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        lock (_gate)
        {
            if (_artifacts.Exists(a => a.Id == artifact.Id)) throw new InvalidOperationException($"artifact {artifact.Id} already exists");
            _artifacts.Add(artifact with { Tags = artifact.Tags.ToList() });
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<Artifact?> GetArtifactAsync(string orgId, string id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_artifacts.Find(a => a.OrgId == orgId && a.Id == id));
    }

    /// <inheritdoc />
    public Task<Page<Artifact>> ListArtifactsAsync(ArtifactQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_gate)
        {
            var matching = _artifacts
                .Where(a => a.OrgId == query.OrgId
                            && (query.RunId is null || a.RunId == query.RunId)
                            && (query.TaskType is null || a.TaskType == query.TaskType)
                            && (query.Name is null || a.Name == query.Name)
                            && (query.Kind is null || a.Kind == query.Kind)
                            && (query.Sha256 is null || a.Sha256 == query.Sha256))
                .OrderByDescending(a => a.CreatedAt).ThenByDescending(a => a.Id, StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(new Page<Artifact>(matching.Skip(query.Offset).Take(query.Limit).ToList(), matching.Count));
        }
    }

    /// <inheritdoc />
    public Task<Artifact?> DeleteArtifactAsync(string orgId, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var found = _artifacts.Find(a => a.OrgId == orgId && a.Id == id);
            if (found is not null) _artifacts.Remove(found);
            return Task.FromResult(found);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Artifact>> DeleteArtifactsCreatedBeforeAsync(DateTimeOffset createdBefore, int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var expired = _artifacts.Where(a => a.CreatedAt < createdBefore)
                .OrderBy(a => a.CreatedAt).ThenBy(a => a.Id, StringComparer.Ordinal).Take(max).ToList();
            foreach (var a in expired) _artifacts.Remove(a);
            return Task.FromResult<IReadOnlyList<Artifact>>(expired);
        }
    }
}
