using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestration.Http.Foreman.Contracts;

/// <summary><c>POST /api/v1/runs</c> body.</summary>
internal sealed record CreateRunRequest
{
    /// <summary>Any JSON (required).</summary>
    // [Required] marks it required in the OpenAPI schema only (System.Text.Json ignores it): the endpoint checks it
    // itself, so a missing field keeps its 400 naming inputData.
    [System.ComponentModel.DataAnnotations.Required]
    [JsonPropertyName("inputData")] public JsonElement? InputData { get; init; }
    /// <summary>Optional metadata.</summary>
    [JsonPropertyName("metadata")] public JsonElement? Metadata { get; init; }
    /// <summary>Unique work: while a run created with the same key blocks, the create returns it (or 409).</summary>
    [JsonPropertyName("unique")] public UniqueRequest? Unique { get; init; }
}

/// <summary>The <c>unique</c> object of a run create.</summary>
internal sealed record UniqueRequest
{
    /// <summary>The key (required).</summary>
    [JsonPropertyName("key")] public string? Key { get; init; }
    /// <summary>Run states in which the earlier run blocks; default pending and running.</summary>
    [JsonPropertyName("states")] public IReadOnlyList<string?>? States { get; init; }
    /// <summary>Seconds after the earlier run finished during which it still blocks.</summary>
    [JsonPropertyName("windowSeconds")] public int? WindowSeconds { get; init; }
    /// <summary><c>returnExisting</c> (default) or <c>conflict</c>.</summary>
    [JsonPropertyName("onDuplicate")] public string? OnDuplicate { get; init; }
}

/// <summary><c>PATCH /api/v1/runs/{id}</c> body; absent fields are left unchanged.</summary>
internal sealed record UpdateRunRequest
{
    /// <summary><c>pending</c>, <c>running</c>, <c>completed</c>, <c>failed</c> or <c>cancelled</c>.</summary>
    [JsonPropertyName("status")] public string? Status { get; init; }
    /// <summary>Output.</summary>
    [JsonPropertyName("outputData")] public JsonElement? OutputData { get; init; }
    /// <summary>Error details.</summary>
    [JsonPropertyName("errorData")] public JsonElement? ErrorData { get; init; }
    /// <summary>Replaces the metadata.</summary>
    [JsonPropertyName("metadata")] public JsonElement? Metadata { get; init; }
}

/// <summary>A run as Foreman shows it.</summary>
internal sealed record RunResponse
{
    /// <summary>Id.</summary>
    [JsonPropertyName("id")] public required Guid Id { get; init; }
    /// <summary>Owning org.</summary>
    [JsonPropertyName("orgId")] public required string OrgId { get; init; }
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
    /// <summary>Number of tasks.</summary>
    [JsonPropertyName("totalTasks")] public int TotalTasks { get; init; }
    /// <summary>Number of completed tasks.</summary>
    [JsonPropertyName("completedTasks")] public int CompletedTasks { get; init; }
    /// <summary>Number of failed tasks.</summary>
    [JsonPropertyName("failedTasks")] public int FailedTasks { get; init; }
    /// <summary>Creation time.</summary>
    [JsonPropertyName("createdAt")] public DateTime CreatedAt { get; init; }
    /// <summary>Last change.</summary>
    [JsonPropertyName("updatedAt")] public DateTime UpdatedAt { get; init; }
    /// <summary>When the run became running.</summary>
    [JsonPropertyName("startedAt")] public DateTime? StartedAt { get; init; }
    /// <summary>When the run finished.</summary>
    [JsonPropertyName("completedAt")] public DateTime? CompletedAt { get; init; }
    /// <summary><c>completedAt − startedAt</c> in milliseconds, once both are set (Foreman's run field).</summary>
    [JsonPropertyName("durationMs")] public long? DurationMs { get; init; }
}

/// <summary>
/// A page of items in both list envelopes Foreman clients read: the API reference's <c>{items, total, limit, offset}</c> and the
/// real Foreman server's <c>{data, pagination: {total, limit, offset}}</c>, in one body so either kind of client works
/// against the same host. Built only by <c>ForemanLists.Page</c>, so a field added to lists is added in one place.
/// </summary>
/// <typeparam name="T">Item type.</typeparam>
internal sealed record ListResponse<T>(
    [property: JsonPropertyName("items")] IReadOnlyList<T> Items,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("offset")] int Offset)
{
    /// <summary>The same items under the real Foreman server's name.</summary>
    [JsonPropertyName("data")] public IReadOnlyList<T> Data => Items;

    /// <summary>The paging numbers as the real Foreman server nests them.</summary>
    [JsonPropertyName("pagination")] public Pagination Pagination => new(Total, Limit, Offset);
}

/// <summary>The real Foreman server's <c>pagination</c> object.</summary>
/// <param name="Total">How many rows match, ignoring limit and offset.</param>
/// <param name="Limit">The page size applied.</param>
/// <param name="Offset">Rows skipped.</param>
internal sealed record Pagination(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("offset")] int Offset);
