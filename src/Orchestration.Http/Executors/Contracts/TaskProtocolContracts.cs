using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestration.Http.Executors.Contracts;

/// <summary>Body of <c>POST /api/v1/tasks/claim</c>: the generic executor protocol, for any task type.</summary>
internal sealed record ClaimTasksRequest
{
    /// <summary>The claiming executor; recorded on the attempt.</summary>
    [JsonPropertyName("executor_id")] public string? ExecutorId { get; init; }
    /// <summary>Its address.</summary>
    [JsonPropertyName("executor_ip")] public string? ExecutorIp { get; init; }
    /// <summary>Task types the executor serves (required, at least one).</summary>
    [JsonPropertyName("types")] public IReadOnlyList<string>? Types { get; init; }
    /// <summary>At most this many tasks (default 1, at most 100); also recorded as the executor's capacity.</summary>
    [JsonPropertyName("max")] public int? Max { get; init; }
    /// <summary>Lease length in seconds (default <c>Orchestration:Executors:HeartbeatTimeoutSeconds</c>, at most 3600).</summary>
    [JsonPropertyName("lease_seconds")] public int? LeaseSeconds { get; init; }
}

/// <summary>Answer of a claim that found work.</summary>
internal sealed record ClaimTasksResponse([property: JsonPropertyName("tasks")] IReadOnlyList<ClaimedTask> Tasks);

/// <summary>One claimed task and the lease every later call must present.</summary>
internal sealed record ClaimedTask(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("run_id")] Guid RunId,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("input")] JsonElement? Input,
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("lease_token")] Guid LeaseToken,
    [property: JsonPropertyName("lease_expires_at")] DateTime? LeaseExpiresAt)
{
    /// <summary>The W3C trace context the task's run was created in; absent when it was created outside a trace.</summary>
    [JsonPropertyName("traceparent")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; }

    /// <summary>The <c>tracestate</c> that goes with <see cref="TraceParent"/>.</summary>
    [JsonPropertyName("tracestate")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceState { get; init; }
}

/// <summary>Body of <c>PUT /api/v1/tasks/{id}/heartbeat</c>.</summary>
internal sealed record TaskHeartbeatRequest
{
    /// <summary>The lease token from the claim.</summary>
    [JsonPropertyName("lease_token")] public Guid? LeaseToken { get; init; }
    /// <summary>New lease length in seconds; default as for the claim.</summary>
    [JsonPropertyName("lease_seconds")] public int? LeaseSeconds { get; init; }
}

/// <summary>Answer of a heartbeat whose lease still holds.</summary>
internal sealed record TaskHeartbeatResponse(
    [property: JsonPropertyName("cancel_requested")] bool CancelRequested,
    [property: JsonPropertyName("lease_expires_at")] DateTime? LeaseExpiresAt);

/// <summary>Body of <c>PUT /api/v1/tasks/{id}/complete</c>.</summary>
internal sealed record TaskCompleteRequest
{
    /// <summary>The lease token from the claim.</summary>
    [JsonPropertyName("lease_token")] public Guid? LeaseToken { get; init; }
    /// <summary>The task's output, any JSON.</summary>
    [JsonPropertyName("output")] public JsonElement? Output { get; init; }
}

/// <summary>Body of <c>PUT /api/v1/tasks/{id}/fail</c>.</summary>
internal sealed record TaskFailRequest
{
    /// <summary>The lease token from the claim.</summary>
    [JsonPropertyName("lease_token")] public Guid? LeaseToken { get; init; }
    /// <summary>What went wrong.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }
    /// <summary>False fails the task for good; true (default) retries while attempts remain.</summary>
    [JsonPropertyName("retryable")] public bool? Retryable { get; init; }
    /// <summary>Partial output worth keeping.</summary>
    [JsonPropertyName("output")] public JsonElement? Output { get; init; }
}

/// <summary>Answer of complete and fail: the task's status after the write.</summary>
internal sealed record TaskWriteResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("status")] string Status);
