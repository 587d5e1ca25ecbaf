using System.Text.Json.Serialization;

namespace Orchestration.Http.Formicary.Contracts;

/// <summary>A registered executor as Formicary's <c>AntRegistration</c> names its fields.</summary>
internal sealed record AntRegistrationResponse
{
    [JsonPropertyName("ant_id")] public required string AntId { get; init; }
    /// <summary>Formicary's message topic; executors here are reached over HTTP, so always empty.</summary>
    [JsonPropertyName("ant_topic")] public string AntTopic { get; init; } = "";
    /// <summary>Task types (Formicary's methods) the executor last said it claims.</summary>
    [JsonPropertyName("methods")] public required IReadOnlyList<string> Methods { get; init; }
    [JsonPropertyName("tags")] public IReadOnlyList<string> Tags { get; init; } = [];
    [JsonPropertyName("max_capacity")] public int MaxCapacity { get; init; }
    /// <summary>Tasks it runs now.</summary>
    [JsonPropertyName("current_load")] public int CurrentLoad { get; init; }
    [JsonPropertyName("total_executed")] public long TotalExecuted { get; init; }
    /// <summary>Its running Formicary tasks by job request id.</summary>
    [JsonPropertyName("allocations")] public required IReadOnlyDictionary<string, AntAllocationResponse> Allocations { get; init; }
    /// <summary>Its latest call (claim, heartbeat, completion); an addition of ours.</summary>
    [JsonPropertyName("last_heartbeat_at")] public DateTime? LastHeartbeatAt { get; init; }
}

/// <summary>What an executor holds of one job request.</summary>
internal sealed record AntAllocationResponse
{
    [JsonPropertyName("job_request_id")] public required Guid JobRequestId { get; init; }
    [JsonPropertyName("ant_id")] public required string AntId { get; init; }
    /// <summary>Task type to state (EXECUTING).</summary>
    [JsonPropertyName("task_types")] public required IReadOnlyDictionary<string, string> TaskTypes { get; init; }
    [JsonPropertyName("allocated_at")] public DateTime? AllocatedAt { get; init; }
}

/// <summary>A running execution as Formicary's <c>ContainerLifecycleEvent</c> names its fields.</summary>
internal sealed record ContainerLifecycleEventResponse
{
    /// <summary>The execution's id (the running task's id): what <c>DELETE /api/executors/{id}</c> takes.</summary>
    [JsonPropertyName("id")] public required Guid Id { get; init; }
    [JsonPropertyName("organization_id")] public required string OrganizationId { get; init; }
    [JsonPropertyName("ant_id")] public string? AntId { get; init; }
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("container_name")] public required string ContainerName { get; init; }
    [JsonPropertyName("container_id")] public required string ContainerId { get; init; }
    [JsonPropertyName("container_state")] public required string ContainerState { get; init; }
    [JsonPropertyName("job_request_id")] public required Guid JobRequestId { get; init; }
    [JsonPropertyName("task_type")] public required string TaskType { get; init; }
    [JsonPropertyName("labels")] public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    [JsonPropertyName("start_time")] public DateTime? StartTime { get; init; }
    [JsonPropertyName("ended_at")] public DateTime? EndedAt { get; init; }
}

/// <summary>Formicary's <c>HealthQueryResponse</c>: the overall status and each dependency's.</summary>
internal sealed record HealthQueryResponse(
    [property: JsonPropertyName("overall_status")] ServiceStatusResponse OverallStatus,
    [property: JsonPropertyName("dependent_service_statuses")] IReadOnlyList<ServiceStatusResponse> DependentServiceStatuses);

/// <summary>One service's health, with snake_case names for Formicary's <c>ServiceStatus</c> fields.</summary>
internal sealed record ServiceStatusResponse
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("healthy")] public required bool Healthy { get; init; }
    /// <summary>A non-critical service's failure does not fail the overall status.</summary>
    [JsonPropertyName("critical")] public bool Critical { get; init; } = true;
    [JsonPropertyName("health_error")] public string? HealthError { get; init; }
    [JsonPropertyName("last_check")] public required DateTime LastCheck { get; init; }
}
