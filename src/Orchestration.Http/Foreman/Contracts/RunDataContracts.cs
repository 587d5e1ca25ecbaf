using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestration.Http.Foreman.Contracts;

/// <summary><c>POST /api/v1/runs/{runId}/data</c> body.</summary>
internal sealed record CreateRunDataRequest
{
    /// <summary>Key (required, at most 255 characters).</summary>
    [JsonPropertyName("key")] public string? Key { get; init; }
    /// <summary>Any JSON.</summary>
    [JsonPropertyName("value")] public JsonElement? Value { get; init; }
    /// <summary>The writing task (a task of the same run).</summary>
    [JsonPropertyName("taskId")] public Guid? TaskId { get; init; }
    /// <summary>Tags.</summary>
    [JsonPropertyName("tags")] public IReadOnlyList<string>? Tags { get; init; }
    /// <summary>Metadata.</summary>
    [JsonPropertyName("metadata")] public JsonElement? Metadata { get; init; }
}

/// <summary><c>PATCH /api/v1/runs/{runId}/data/{id}/tags</c> body.</summary>
internal sealed record ChangeTagsRequest
{
    /// <summary>Tags to add.</summary>
    [JsonPropertyName("add")] public IReadOnlyList<string>? Add { get; init; }
    /// <summary>Tags to remove.</summary>
    [JsonPropertyName("remove")] public IReadOnlyList<string>? Remove { get; init; }
}

/// <summary>A run-data entry.</summary>
internal sealed record RunDataResponse
{
    /// <summary>Entry id.</summary>
    [JsonPropertyName("id")] public required Guid Id { get; init; }
    /// <summary>The run.</summary>
    [JsonPropertyName("runId")] public required Guid RunId { get; init; }
    /// <summary>The writing task.</summary>
    [JsonPropertyName("taskId")] public Guid? TaskId { get; init; }
    /// <summary>Owning org.</summary>
    [JsonPropertyName("orgId")] public required string OrgId { get; init; }
    /// <summary>Key.</summary>
    [JsonPropertyName("key")] public required string Key { get; init; }
    /// <summary>Value.</summary>
    [JsonPropertyName("value")] public JsonElement? Value { get; init; }
    /// <summary>Tags.</summary>
    [JsonPropertyName("tags")] public required IReadOnlyList<string> Tags { get; init; }
    /// <summary>Metadata.</summary>
    [JsonPropertyName("metadata")] public JsonElement? Metadata { get; init; }
    /// <summary>Creation time.</summary>
    [JsonPropertyName("createdAt")] public DateTime CreatedAt { get; init; }
    /// <summary>Last change (tags).</summary>
    [JsonPropertyName("updatedAt")] public DateTime UpdatedAt { get; init; }
}

/// <summary><c>DELETE /api/v1/runs/{runId}/data</c> answer.</summary>
/// <param name="Deleted">How many entries were deleted.</param>
internal sealed record DeleteRunDataResponse([property: JsonPropertyName("deleted")] int Deleted);
