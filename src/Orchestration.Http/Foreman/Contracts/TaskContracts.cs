using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestration.Http.Foreman.Contracts;

/// <summary><c>POST /api/v1/tasks</c> body.</summary>
internal sealed record CreateTaskRequest
{
    /// <summary>The run (required).</summary>
    [JsonPropertyName("runId")] public Guid? RunId { get; init; }
    /// <summary>Optional parent task of the same run.</summary>
    [JsonPropertyName("parentTaskId")] public Guid? ParentTaskId { get; init; }
    /// <summary>Task type (required).</summary>
    [JsonPropertyName("type")] public string? Type { get; init; }
    /// <summary>Input.</summary>
    [JsonPropertyName("inputData")] public JsonElement? InputData { get; init; }
    /// <summary>Metadata.</summary>
    [JsonPropertyName("metadata")] public JsonElement? Metadata { get; init; }
    /// <summary>Retries after the first attempt, 0–10; default 3.</summary>
    [JsonPropertyName("maxRetries")] public int? MaxRetries { get; init; }
    /// <summary>Concurrency key template (<c>customer:{$.customerId}</c>, <c>{type}</c>, <c>{org}</c>): tasks sharing a key the host limits run at most the limit at once.</summary>
    [JsonPropertyName("concurrencyKey")] public string? ConcurrencyKey { get; init; }
    /// <summary>At most this many tasks of <c>concurrencyKey</c> run at once (1 to 10,000), without host configuration; with a host limit for the key, the lower applies.</summary>
    [JsonPropertyName("concurrencyLimit")] public int? ConcurrencyLimit { get; init; }
}

/// <summary><c>PATCH /api/v1/tasks/{id}</c> body; absent fields are left unchanged.</summary>
internal sealed record UpdateTaskRequest
{
    /// <summary>New status.</summary>
    [JsonPropertyName("status")] public string? Status { get; init; }
    /// <summary>Output.</summary>
    [JsonPropertyName("outputData")] public JsonElement? OutputData { get; init; }
    /// <summary>Error details.</summary>
    [JsonPropertyName("errorData")] public JsonElement? ErrorData { get; init; }
    /// <summary>Replaces the metadata.</summary>
    [JsonPropertyName("metadata")] public JsonElement? Metadata { get; init; }
    /// <summary>External queue job id.</summary>
    [JsonPropertyName("queueJobId")] public string? QueueJobId { get; init; }
}

/// <summary>A task as Foreman shows it.</summary>
internal sealed record TaskResponse
{
    /// <summary>Id.</summary>
    [JsonPropertyName("id")] public required Guid Id { get; init; }
    /// <summary>The run.</summary>
    [JsonPropertyName("runId")] public required Guid RunId { get; init; }
    /// <summary>Parent task.</summary>
    [JsonPropertyName("parentTaskId")] public Guid? ParentTaskId { get; init; }
    /// <summary>Owning org.</summary>
    [JsonPropertyName("orgId")] public required string OrgId { get; init; }
    /// <summary>Type.</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }
    /// <summary>Status.</summary>
    [JsonPropertyName("status")] public required string Status { get; init; }
    /// <summary>Input.</summary>
    [JsonPropertyName("inputData")] public JsonElement? InputData { get; init; }
    /// <summary>Output.</summary>
    [JsonPropertyName("outputData")] public JsonElement? OutputData { get; init; }
    /// <summary>Error details.</summary>
    [JsonPropertyName("errorData")] public JsonElement? ErrorData { get; init; }
    /// <summary>Metadata.</summary>
    [JsonPropertyName("metadata")] public JsonElement? Metadata { get; init; }
    /// <summary>Retries so far (attempts after the first).</summary>
    [JsonPropertyName("retryCount")] public int RetryCount { get; init; }
    /// <summary>Retries allowed after the first attempt.</summary>
    [JsonPropertyName("maxRetries")] public int MaxRetries { get; init; }
    /// <summary>Creation time.</summary>
    [JsonPropertyName("createdAt")] public DateTime CreatedAt { get; init; }
    /// <summary>Last change.</summary>
    [JsonPropertyName("updatedAt")] public DateTime UpdatedAt { get; init; }
    /// <summary>When it became queued.</summary>
    [JsonPropertyName("queuedAt")] public DateTime? QueuedAt { get; init; }
    /// <summary>When it (last) started running.</summary>
    [JsonPropertyName("startedAt")] public DateTime? StartedAt { get; init; }
    /// <summary>When it reached a terminal status.</summary>
    [JsonPropertyName("completedAt")] public DateTime? CompletedAt { get; init; }
    /// <summary><c>completedAt − startedAt</c> in milliseconds, once both are set.</summary>
    [JsonPropertyName("durationMs")] public long? DurationMs { get; init; }
    /// <summary>External queue job id.</summary>
    [JsonPropertyName("queueJobId")] public string? QueueJobId { get; init; }
}
