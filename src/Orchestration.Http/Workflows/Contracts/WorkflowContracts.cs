using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestration.Http.Workflows.Contracts;

/// <summary>Body of <c>POST /api/v1/workflows</c>.</summary>
internal sealed record CreateWorkflowRequest
{
    /// <summary>Display name (required).</summary>
    [JsonPropertyName("name")] public string? Name { get; init; }
    /// <summary>Free text.</summary>
    [JsonPropertyName("description")] public string? Description { get; init; }
    /// <summary>Concurrency, timeout and retry policy; every field has a default.</summary>
    [JsonPropertyName("config")] public WorkflowConfigRequest? Config { get; init; }
    /// <summary>The task graph.</summary>
    [JsonPropertyName("tasks")] public IReadOnlyList<WorkflowTaskRequest?>? Tasks { get; init; }
    /// <summary>Unique work: while a workflow created with the same key blocks, the create returns it (or 409).</summary>
    [JsonPropertyName("unique_key")] public string? UniqueKey { get; init; }
    /// <summary><c>org</c> (default) or <c>name</c>: the key applies to workflows of the same name only.</summary>
    [JsonPropertyName("unique_scope")] public string? UniqueScope { get; init; }
    /// <summary>Workflow states in which the earlier workflow blocks; default pending and running.</summary>
    [JsonPropertyName("unique_states")] public IReadOnlyList<string?>? UniqueStates { get; init; }
    /// <summary>Go-style duration after the earlier workflow finished during which it still blocks ("10m").</summary>
    [JsonPropertyName("unique_window")] public string? UniqueWindow { get; init; }
    /// <summary><c>return_existing</c> (default) or <c>conflict</c>.</summary>
    [JsonPropertyName("on_duplicate")] public string? OnDuplicate { get; init; }
}

/// <summary>The <c>config</c> object of a create.</summary>
internal sealed record WorkflowConfigRequest
{
    /// <summary>At most this many tasks at once; default 10.</summary>
    [JsonPropertyName("max_concurrency")] public int? MaxConcurrency { get; init; }
    /// <summary>Go-style duration after which the workflow fails; default "1h".</summary>
    [JsonPropertyName("timeout")] public string? Timeout { get; init; }
    /// <summary>Retry policy of every task.</summary>
    [JsonPropertyName("retry_policy")] public RetryPolicyRequest? RetryPolicy { get; init; }
}

/// <summary>The <c>retry_policy</c> object of a create.</summary>
internal sealed record RetryPolicyRequest
{
    /// <summary>Retries of a task that gives no <c>max_retries</c>; default 3.</summary>
    [JsonPropertyName("max_attempts")] public int? MaxAttempts { get; init; }
    /// <summary>Delay before the first retry; default "1s".</summary>
    [JsonPropertyName("initial_delay")] public string? InitialDelay { get; init; }
    /// <summary>Longest delay; default "5m".</summary>
    [JsonPropertyName("max_delay")] public string? MaxDelay { get; init; }
    /// <summary>Multiplier per further retry; default 2.0.</summary>
    [JsonPropertyName("backoff_factor")] public double? BackoffFactor { get; init; }
}

/// <summary>One task of a create.</summary>
internal sealed record WorkflowTaskRequest
{
    /// <summary>Unique within the workflow (required); dependencies refer to it.</summary>
    [JsonPropertyName("name")] public string? Name { get; init; }
    /// <summary>Handler type (required): etl, ml_training, ci, generic or any type the host registers.</summary>
    [JsonPropertyName("type")] public string? Type { get; init; }
    /// <summary>The handler's input.</summary>
    [JsonPropertyName("payload")] public JsonElement? Payload { get; init; }
    /// <summary>Retries after the first attempt; default the workflow's <c>retry_policy.max_attempts</c>.</summary>
    [JsonPropertyName("max_retries")] public int? MaxRetries { get; init; }
    /// <summary>Higher runs first among ready tasks; default 1.</summary>
    [JsonPropertyName("priority")] public int? Priority { get; init; }
    /// <summary>Names of tasks of this workflow that must complete first.</summary>
    [JsonPropertyName("dependencies")] public IReadOnlyList<string?>? Dependencies { get; init; }
    /// <summary>Concurrency key template (<c>customer:{$.customer_id}</c>, <c>{type}</c>, <c>{org}</c>): tasks sharing a key the host limits run at most the limit at once.</summary>
    [JsonPropertyName("concurrency_key")] public string? ConcurrencyKey { get; init; }
    /// <summary>At most this many tasks of <c>concurrency_key</c> run at once (1 to 10,000), without host configuration; with a host limit for the key, the lower applies.</summary>
    [JsonPropertyName("concurrency_limit")] public int? ConcurrencyLimit { get; init; }
}

/// <summary>A workflow as every endpoint returns it.</summary>
internal sealed record WorkflowResponse
{
    /// <summary>Workflow id.</summary>
    [JsonPropertyName("id")] public required Guid Id { get; init; }
    /// <summary>Name.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Description ("" when none was given).</summary>
    [JsonPropertyName("description")] public required string Description { get; init; }
    /// <summary>pending, running, completed, failed or cancelled.</summary>
    [JsonPropertyName("status")] public required string Status { get; init; }
    /// <summary>The tasks, in creation order.</summary>
    [JsonPropertyName("tasks")] public required IReadOnlyList<WorkflowTaskResponse> Tasks { get; init; }
    /// <summary>The applied configuration, defaults filled in.</summary>
    [JsonPropertyName("config")] public required WorkflowConfigResponse Config { get; init; }
    /// <summary>Creation time.</summary>
    [JsonPropertyName("created_at")] public required DateTime CreatedAt { get; init; }
    /// <summary>Last change.</summary>
    [JsonPropertyName("updated_at")] public required DateTime UpdatedAt { get; init; }
    /// <summary>When the first task started.</summary>
    [JsonPropertyName("started_at")] public DateTime? StartedAt { get; init; }
    /// <summary>When the workflow finished.</summary>
    [JsonPropertyName("completed_at")] public DateTime? CompletedAt { get; init; }
}

/// <summary>The applied <c>config</c>.</summary>
internal sealed record WorkflowConfigResponse(
    [property: JsonPropertyName("max_concurrency")] int MaxConcurrency,
    [property: JsonPropertyName("timeout")] string Timeout,
    [property: JsonPropertyName("retry_policy")] RetryPolicyResponse RetryPolicy);

/// <summary>The applied <c>retry_policy</c>.</summary>
internal sealed record RetryPolicyResponse(
    [property: JsonPropertyName("max_attempts")] int MaxAttempts,
    [property: JsonPropertyName("initial_delay")] string InitialDelay,
    [property: JsonPropertyName("max_delay")] string MaxDelay,
    [property: JsonPropertyName("backoff_factor")] double BackoffFactor);

/// <summary>A task of a workflow, as FlowCtl's API reference shows it.</summary>
internal sealed record WorkflowTaskResponse
{
    /// <summary>Task id.</summary>
    [JsonPropertyName("id")] public required Guid Id { get; init; }
    /// <summary>The workflow.</summary>
    [JsonPropertyName("workflow_id")] public required Guid WorkflowId { get; init; }
    /// <summary>Name.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Type.</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }
    /// <summary>pending, running, completed, failed, retrying or cancelled.</summary>
    [JsonPropertyName("status")] public required string Status { get; init; }
    /// <summary>The input.</summary>
    [JsonPropertyName("payload")] public JsonElement? Payload { get; init; }
    /// <summary>The handler's output.</summary>
    [JsonPropertyName("result")] public JsonElement? Result { get; init; }
    /// <summary>Why the latest attempt failed.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }
    /// <summary>Retries made so far.</summary>
    [JsonPropertyName("retry_count")] public int RetryCount { get; init; }
    /// <summary>Retries allowed after the first attempt.</summary>
    [JsonPropertyName("max_retries")] public int MaxRetries { get; init; }
    /// <summary>Priority.</summary>
    [JsonPropertyName("priority")] public int Priority { get; init; }
    /// <summary>Names of the tasks it waits for.</summary>
    [JsonPropertyName("dependencies")] public required IReadOnlyList<string> Dependencies { get; init; }
    /// <summary>Creation time.</summary>
    [JsonPropertyName("created_at")] public required DateTime CreatedAt { get; init; }
    /// <summary>Last change.</summary>
    [JsonPropertyName("updated_at")] public required DateTime UpdatedAt { get; init; }
    /// <summary>When the latest attempt started.</summary>
    [JsonPropertyName("started_at")] public DateTime? StartedAt { get; init; }
    /// <summary>When the task finished.</summary>
    [JsonPropertyName("completed_at")] public DateTime? CompletedAt { get; init; }
}

/// <summary><c>GET /api/v1/workflows</c>.</summary>
internal sealed record WorkflowListResponse(
    [property: JsonPropertyName("workflows")] IReadOnlyList<WorkflowResponse> Workflows,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("total_pages")] int TotalPages);

/// <summary><c>GET /api/v1/workflows/{id}/tasks</c>.</summary>
internal sealed record WorkflowTaskListResponse(
    [property: JsonPropertyName("tasks")] IReadOnlyList<WorkflowTaskResponse> Tasks);

/// <summary><c>PUT /api/v1/workflows/{id}/cancel</c>.</summary>
internal sealed record WorkflowMessageResponse(
    [property: JsonPropertyName("message")] string Message);

/// <summary><c>GET /api/v1/metrics</c> with <c>Accept: application/json</c>.</summary>
internal sealed record WorkflowMetricsResponse(
    [property: JsonPropertyName("workflows")] WorkflowCounts Workflows,
    [property: JsonPropertyName("tasks")] TaskCounts Tasks,
    [property: JsonPropertyName("workers")] WorkerCounts Workers)
{
    /// <summary>Rows per table of the store; system callers only.</summary>
    [JsonPropertyName("storage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Platform.Metrics.StorageTableJson>? Storage { get; init; }

    /// <summary>What retention deleted since the process started; system callers only.</summary>
    [JsonPropertyName("retention"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Platform.Metrics.RetentionJson? Retention { get; init; }
}

/// <summary>Workflows of the caller's org by status.</summary>
internal sealed record WorkflowCounts(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("running")] int Running,
    [property: JsonPropertyName("completed")] int Completed,
    [property: JsonPropertyName("failed")] int Failed);

/// <summary>Tasks of the caller's org's workflows by status.</summary>
internal sealed record TaskCounts(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("pending")] int Pending,
    [property: JsonPropertyName("running")] int Running,
    [property: JsonPropertyName("completed")] int Completed,
    [property: JsonPropertyName("failed")] int Failed);

/// <summary>Executors of the caller's org: holding a task, or seen lately without one.</summary>
internal sealed record WorkerCounts(
    [property: JsonPropertyName("active")] int Active,
    [property: JsonPropertyName("idle")] int Idle);

/// <summary>What the family stores in the run's metadata: what the run itself has no column for.</summary>
internal sealed record StoredWorkflow(
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("config")] WorkflowConfigResponse Config);
