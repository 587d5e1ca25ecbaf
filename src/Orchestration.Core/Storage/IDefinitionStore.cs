namespace Orchestration.Storage;

/// <summary>
/// Versioned definitions (reusable job templates) per org and name. Every save of a name writes a new version and keeps
/// the older ones, so a run created from a pinned version can still be made after later saves. The stored document is
/// opaque JSON (the API family that wrote it reads it back); the store indexes only the fields it filters by. Every
/// operation is atomic.
/// </summary>
public interface IDefinitionStore
{
    /// <summary>
    /// Writes version n+1 of <see cref="SaveDefinitionParams.Name"/> in the org (1 when it has none) and makes it the
    /// latest. The new version keeps the name's disabled flag. Two concurrent saves of one name get two versions.
    /// </summary>
    Task<JobDefinition> SaveDefinitionAsync(SaveDefinitionParams parameters, CancellationToken cancellationToken);

    /// <summary>The version with this id in the org, or null.</summary>
    Task<JobDefinition?> GetDefinitionAsync(string orgId, string id, CancellationToken cancellationToken);

    /// <summary>The given version of a name in the org (the latest when <paramref name="version"/> is null), or null.</summary>
    Task<JobDefinition?> GetDefinitionByNameAsync(string orgId, string name, int? version, CancellationToken cancellationToken);

    /// <summary>The latest version of each matching name, ordered by name, with the number of matching names.</summary>
    Task<Page<JobDefinition>> ListDefinitionsAsync(DefinitionQuery query, CancellationToken cancellationToken);

    /// <summary>Deletes every version of a name in the org; false when it has none. Runs made from it are not touched.</summary>
    Task<bool> DeleteDefinitionAsync(string orgId, string name, CancellationToken cancellationToken);

    /// <summary>Sets the disabled flag of every version of a name in the org; false when it has none.</summary>
    Task<bool> SetDefinitionDisabledAsync(string orgId, string name, bool disabled, CancellationToken cancellationToken);
}

/// <summary>What <see cref="IDefinitionStore.SaveDefinitionAsync"/> writes.</summary>
public sealed record SaveDefinitionParams
{
    /// <summary>Id of the new version.</summary>
    public required string Id { get; init; }
    /// <summary>Owning org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The name the versions share (Formicary's <c>job_type</c>).</summary>
    public required string Name { get; init; }
    /// <summary>Indexed for filters; null when none.</summary>
    public string? Platform { get; init; }
    /// <summary>Indexed for filters.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>The definition as JSON text, as the writing family shaped it.</summary>
    public required string DocumentJson { get; init; }
    /// <summary>The source text when the definition came as YAML, kept verbatim.</summary>
    public string? RawYaml { get; init; }
    /// <summary>Creation time of the version.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>One stored version of a definition.</summary>
public sealed record JobDefinition
{
    /// <summary>Id of this version.</summary>
    public required string Id { get; init; }
    /// <summary>Owning org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The name the versions share.</summary>
    public required string Name { get; init; }
    /// <summary>1 for the first save of the name, then one more per save.</summary>
    public required int Version { get; init; }
    /// <summary>Platform, or null.</summary>
    public string? Platform { get; init; }
    /// <summary>Tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>True while the name refuses new runs.</summary>
    public bool Disabled { get; init; }
    /// <summary>The definition as JSON text.</summary>
    public required string DocumentJson { get; init; }
    /// <summary>The YAML source, when it came as YAML.</summary>
    public string? RawYaml { get; init; }
    /// <summary>Creation time of this version.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Filter and page of <see cref="IDefinitionStore.ListDefinitionsAsync"/>.</summary>
public sealed record DefinitionQuery
{
    /// <summary>The caller's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>Only this name.</summary>
    public string? Name { get; init; }
    /// <summary>Only this platform.</summary>
    public string? Platform { get; init; }
    /// <summary>Only definitions carrying every one of these tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 20;
    /// <summary>Items to skip.</summary>
    public int Offset { get; init; }
}
