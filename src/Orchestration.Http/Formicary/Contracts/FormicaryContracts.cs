using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Orchestration.Http.Formicary.Contracts;

/// <summary>Formicary's paginated envelope (its <c>PaginatedResult</c>), with snake_case names.</summary>
internal sealed record PaginatedResult<T>(
    [property: JsonPropertyName("records")] IReadOnlyList<T> Records,
    [property: JsonPropertyName("total_records")] long TotalRecords,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("page_size")] int PageSize,
    [property: JsonPropertyName("total_pages")] long TotalPages);

/// <summary>Body of <c>POST /api/jobs/requests</c>.</summary>
internal sealed record SubmitJobRequest
{
    /// <summary>The definition's job type (required).</summary>
    [JsonPropertyName("job_type")] public string? JobType { get; init; }
    /// <summary>A version of the definition, as a string ("3") or a number; the latest when absent.</summary>
    [JsonPropertyName("job_version")] public JsonElement? JobVersion { get; init; }
    /// <summary>RFC 3339 start time: the request stays PENDING until then.</summary>
    [JsonPropertyName("scheduled_at")] public string? ScheduledAt { get; init; }
    /// <summary>Higher runs first among ready tasks.</summary>
    [JsonPropertyName("job_priority")] public int? JobPriority { get; init; }
    /// <summary>Parameters: task input and <c>{{.Name}}</c> values.</summary>
    [JsonPropertyName("params")] public JsonElement? Params { get; init; }
    /// <summary>Unique work: while a request submitted with the same key blocks, the submit returns it (or 409).</summary>
    [JsonPropertyName("unique_key")] public string? UniqueKey { get; init; }
    /// <summary><c>org</c> (default) or <c>job_type</c>.</summary>
    [JsonPropertyName("unique_scope")] public string? UniqueScope { get; init; }
    /// <summary>Run states that block (default: unfinished).</summary>
    [JsonPropertyName("unique_states")] public IReadOnlyList<string?>? UniqueStates { get; init; }
    /// <summary>How long after the holder finished it still blocks.</summary>
    [JsonPropertyName("unique_window_seconds")] public int? UniqueWindowSeconds { get; init; }
    /// <summary><c>return_existing</c> (default) or <c>conflict</c>.</summary>
    [JsonPropertyName("on_duplicate")] public string? OnDuplicate { get; init; }
}

/// <summary>A job request as every requests endpoint returns it.</summary>
internal sealed record JobRequestResponse
{
    /// <summary>Request id (the run's id).</summary>
    [JsonPropertyName("id")] public required Guid Id { get; init; }
    /// <summary>The definition version it was made from.</summary>
    [JsonPropertyName("job_definition_id")] public string? JobDefinitionId { get; init; }
    /// <summary>Job type.</summary>
    [JsonPropertyName("job_type")] public required string JobType { get; init; }
    /// <summary>Definition version, as a string like Formicary's.</summary>
    [JsonPropertyName("job_version")] public string? JobVersion { get; init; }
    /// <summary>PENDING, STARTED, EXECUTING, COMPLETED, FAILED, CANCELLED or MANUAL_APPROVAL_REQUIRED.</summary>
    [JsonPropertyName("job_state")] public required string JobState { get; init; }
    /// <summary>Priority.</summary>
    [JsonPropertyName("job_priority")] public int JobPriority { get; init; }
    /// <summary>Platform of the definition version.</summary>
    [JsonPropertyName("platform")] public string? Platform { get; init; }
    /// <summary>The params as submitted.</summary>
    [JsonPropertyName("params")] public JsonNode? Params { get; init; }
    /// <summary>Requested start, when given.</summary>
    [JsonPropertyName("scheduled_at")] public DateTime? ScheduledAt { get; init; }
    /// <summary>Set when the request failed or was cancelled.</summary>
    [JsonPropertyName("error_code")] public string? ErrorCode { get; init; }
    /// <summary>Why it failed.</summary>
    [JsonPropertyName("error_message")] public string? ErrorMessage { get; init; }
    /// <summary>Submission time.</summary>
    [JsonPropertyName("created_at")] public required DateTime CreatedAt { get; init; }
    /// <summary>Last change.</summary>
    [JsonPropertyName("updated_at")] public required DateTime UpdatedAt { get; init; }
    /// <summary>The execution and its tasks (the single-request read only).</summary>
    [JsonPropertyName("execution")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public JobExecutionResponse? Execution { get; init; }
}

/// <summary>The <c>execution</c> of a request.</summary>
internal sealed record JobExecutionResponse
{
    /// <summary>Execution id (the run's id: one execution per request).</summary>
    [JsonPropertyName("id")] public required Guid Id { get; init; }
    /// <summary>Same as the request's.</summary>
    [JsonPropertyName("job_state")] public required string JobState { get; init; }
    /// <summary>When the first task started.</summary>
    [JsonPropertyName("started_at")] public DateTime? StartedAt { get; init; }
    /// <summary>When the request finished.</summary>
    [JsonPropertyName("ended_at")] public DateTime? EndedAt { get; init; }
    /// <summary>The tasks in order.</summary>
    [JsonPropertyName("tasks")] public required IReadOnlyList<TaskExecutionResponse> Tasks { get; init; }
}

/// <summary>One task of an execution.</summary>
internal sealed record TaskExecutionResponse
{
    /// <summary>Task id.</summary>
    [JsonPropertyName("id")] public required Guid Id { get; init; }
    /// <summary>The definition's task_type.</summary>
    [JsonPropertyName("task_type")] public required string TaskType { get; init; }
    /// <summary>The engine task type that ran it (handler key).</summary>
    [JsonPropertyName("method")] public required string Method { get; init; }
    /// <summary>PENDING, READY, EXECUTING, COMPLETED, FAILED, CANCELLED, SKIPPED or MANUAL_APPROVAL_REQUIRED.</summary>
    [JsonPropertyName("task_state")] public required string TaskState { get; init; }
    /// <summary>Exit code the handler reported (or, failing that, the one in the task's output).</summary>
    [JsonPropertyName("exit_code")] public int? ExitCode { get; init; }
    /// <summary>Why the latest attempt failed.</summary>
    [JsonPropertyName("exit_message")] public string? ExitMessage { get; init; }
    /// <summary>The executor that ran the latest attempt.</summary>
    [JsonPropertyName("ant_id")] public string? AntId { get; init; }
    /// <summary>Attempts so far.</summary>
    [JsonPropertyName("retried")] public int Retried { get; init; }
    /// <summary>When the latest attempt started.</summary>
    [JsonPropertyName("started_at")] public DateTime? StartedAt { get; init; }
    /// <summary>When the task finished.</summary>
    [JsonPropertyName("ended_at")] public DateTime? EndedAt { get; init; }
    /// <summary>Captured standard output, when the task's output has it.</summary>
    [JsonPropertyName("stdout")] public string? Stdout { get; init; }
    /// <summary>The task's output.</summary>
    [JsonPropertyName("context")] public JsonElement? Context { get; init; }
    /// <summary>The review of a MANUAL task, once reviewed.</summary>
    [JsonPropertyName("review")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public TaskReviewResponse? Review { get; init; }
}

/// <summary>Who reviewed a MANUAL task, when, and what they decided.</summary>
internal sealed record TaskReviewResponse
{
    /// <summary>The reviewer's identity as the platform knows the caller (<c>key:&lt;id&gt;</c> or <c>jwt:&lt;org&gt;:&lt;subject&gt;</c>).</summary>
    [JsonPropertyName("reviewed_by")] public required string ReviewedBy { get; init; }
    /// <summary>When the review was recorded.</summary>
    [JsonPropertyName("reviewed_at")] public required DateTime ReviewedAt { get; init; }
    /// <summary>APPROVED or REJECTED.</summary>
    [JsonPropertyName("status")] public required string Status { get; init; }
    /// <summary>True when approved.</summary>
    [JsonPropertyName("approved")] public required bool Approved { get; init; }
    /// <summary>The reviewer's comments.</summary>
    [JsonPropertyName("comments")] public string? Comments { get; init; }
}

/// <summary>Body of <c>POST /api/jobs/requests/{id}/review</c>.</summary>
internal sealed record ReviewJobRequest
{
    /// <summary>The request's execution (its id, as one execution per request); checked when given.</summary>
    [JsonPropertyName("execution_id")] public string? ExecutionId { get; init; }
    /// <summary>The MANUAL task to review (required).</summary>
    [JsonPropertyName("task_type")] public string? TaskType { get; init; }
    /// <summary>Required when rejecting.</summary>
    [JsonPropertyName("comments")] public string? Comments { get; init; }
    /// <summary>APPROVED or REJECTED (required).</summary>
    [JsonPropertyName("status")] public string? Status { get; init; }
}
