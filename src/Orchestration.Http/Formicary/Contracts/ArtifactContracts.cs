using System.Text.Json.Serialization;

namespace Orchestration.Http.Formicary.Contracts;

/// <summary>Formicary's <c>Artifact</c> object: metadata only, the content is at <see cref="Url"/>.</summary>
internal sealed record ArtifactResponse
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }
    [JsonPropertyName("job_request_id")] public Guid? JobRequestId { get; init; }
    [JsonPropertyName("task_execution_id")] public Guid? TaskExecutionId { get; init; }
    [JsonPropertyName("task_type")] public string? TaskType { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("content_type")] public string? ContentType { get; init; }
    [JsonPropertyName("content_length")] public long ContentLength { get; init; }
    [JsonPropertyName("metadata")] public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    [JsonPropertyName("tags")] public required IReadOnlyDictionary<string, string> Tags { get; init; }
    [JsonPropertyName("url")] public required string Url { get; init; }
    [JsonPropertyName("created_at")] public DateTime CreatedAt { get; init; }
}
