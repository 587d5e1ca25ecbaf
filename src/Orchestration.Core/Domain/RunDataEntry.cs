namespace Orchestration.Domain;

/// <summary>One key/value entry of a run's data. A key may have many entries; reads of "the" value take the latest.</summary>
public sealed record RunDataEntry
{
    /// <summary>Identifier (UUID v7, so later entries sort after earlier ones).</summary>
    public required Guid Id { get; init; }
    /// <summary>Owning org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }
    /// <summary>The task that wrote it, if any.</summary>
    public Guid? TaskId { get; init; }
    /// <summary>Key.</summary>
    public required string Key { get; init; }
    /// <summary>Value as JSON text.</summary>
    public string? ValueJson { get; init; }
    /// <summary>Tags, distinct, in insertion order.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Metadata as JSON text.</summary>
    public string? MetadataJson { get; init; }
    /// <summary>Creation time.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Last change (tags).</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}
