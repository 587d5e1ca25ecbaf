namespace Orchestration.Storage.InMemory;

// Versioned definitions, under the store's one lock like every other write.
public sealed partial class InMemoryStore : IDefinitionStore
{
    private readonly List<JobDefinition> _definitions = [];

    /// <inheritdoc />
    public Task<JobDefinition> SaveDefinitionAsync(SaveDefinitionParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        lock (_gate)
        {
            var latest = Latest(parameters.OrgId, parameters.Name);
            var saved = new JobDefinition
            {
                Id = parameters.Id,
                OrgId = parameters.OrgId,
                Name = parameters.Name,
                Version = (latest?.Version ?? 0) + 1,
                Platform = parameters.Platform,
                Tags = parameters.Tags.ToList(),
                Disabled = latest?.Disabled ?? false,
                DocumentJson = parameters.DocumentJson,
                RawYaml = parameters.RawYaml,
                CreatedAt = parameters.CreatedAt,
            };
            _definitions.Add(saved);
            return Task.FromResult(saved);
        }
    }

    /// <inheritdoc />
    public Task<JobDefinition?> GetDefinitionAsync(string orgId, string id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_definitions.Find(d => d.OrgId == orgId && d.Id == id));
    }

    /// <inheritdoc />
    public Task<JobDefinition?> GetDefinitionByNameAsync(string orgId, string name, int? version, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(version is { } v
                ? _definitions.Find(d => d.OrgId == orgId && d.Name == name && d.Version == v)
                : Latest(orgId, name));
        }
    }

    /// <inheritdoc />
    public Task<Page<JobDefinition>> ListDefinitionsAsync(DefinitionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_gate)
        {
            var matching = _definitions
                .GroupBy(d => (d.OrgId, d.Name))
                .Select(g => g.MaxBy(d => d.Version)!)
                .Where(d => d.OrgId == query.OrgId
                            && (query.Name is null || d.Name == query.Name)
                            && (query.Platform is null || d.Platform == query.Platform)
                            && query.Tags.All(t => d.Tags.Contains(t)))
                .OrderBy(d => d.Name, StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(new Page<JobDefinition>(matching.Skip(query.Offset).Take(query.Limit).ToList(), matching.Count));
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteDefinitionAsync(string orgId, string name, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_definitions.RemoveAll(d => d.OrgId == orgId && d.Name == name) > 0);
    }

    /// <inheritdoc />
    public Task<bool> SetDefinitionDisabledAsync(string orgId, string name, bool disabled, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var found = false;
            for (var i = 0; i < _definitions.Count; i++)
            {
                if (_definitions[i].OrgId != orgId || _definitions[i].Name != name) continue;
                _definitions[i] = _definitions[i] with { Disabled = disabled };
                found = true;
            }

            return Task.FromResult(found);
        }
    }

    private JobDefinition? Latest(string orgId, string name) =>
        _definitions.Where(d => d.OrgId == orgId && d.Name == name).MaxBy(d => d.Version);
}
