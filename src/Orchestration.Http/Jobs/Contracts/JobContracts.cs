using System.Text.Json.Serialization;

namespace Orchestration.Http.Jobs.Contracts;

/// <summary>Body of <c>POST /api/v1/jobs</c> and one item of <c>POST /api/v1/jobs/bulk</c> (the job queue API).</summary>
internal sealed record SubmitJobRequest
{
    /// <summary>Job type identifier, no whitespace.</summary>
    [JsonPropertyName("type")] public string? Type { get; init; }
    /// <summary>http or https URL of the executable.</summary>
    [JsonPropertyName("binary_url")] public string? BinaryUrl { get; init; }
    /// <summary>SHA-256 of the binary, 64 hex digits.</summary>
    [JsonPropertyName("binary_sha256")] public string? BinarySha256 { get; init; }
    /// <summary>Command-line arguments, passed literally.</summary>
    [JsonPropertyName("arguments")] public IReadOnlyList<string>? Arguments { get; init; }
    /// <summary>Environment variables.</summary>
    [JsonPropertyName("env_variables")] public IReadOnlyDictionary<string, string>? EnvVariables { get; init; }
    /// <summary><c>foreground</c>, <c>background</c> (the default when omitted) or <c>best_effort</c>.</summary>
    [JsonPropertyName("priority")] public string? Priority { get; init; }
    /// <summary>Seconds an attempt may run before it fails and its process tree is killed; omitted means no limit.</summary>
    [JsonPropertyName("timeout_seconds")] public int? TimeoutSeconds { get; init; }
    /// <summary>Concurrency key template (<c>customer:{$.arguments.0}</c>, <c>{org}</c>, ...): jobs sharing a key the host limits run at most the limit at once.</summary>
    [JsonPropertyName("concurrency_key")] public string? ConcurrencyKey { get; init; }
    /// <summary>At most this many jobs of <c>concurrency_key</c> run at once (1 to 10,000), without host configuration; with a host limit for the key, the lower applies.</summary>
    [JsonPropertyName("concurrency_limit")] public int? ConcurrencyLimit { get; init; }
    /// <summary>Unique work: while a job submitted with the same key blocks, the submit returns it (or 409).</summary>
    [JsonPropertyName("unique_key")] public string? UniqueKey { get; init; }
    /// <summary><c>org</c> (default) or <c>type</c>: the key applies to jobs of the same type only.</summary>
    [JsonPropertyName("unique_scope")] public string? UniqueScope { get; init; }
    /// <summary>Job states in which the earlier job blocks; default pending and running.</summary>
    [JsonPropertyName("unique_states")] public IReadOnlyList<string?>? UniqueStates { get; init; }
    /// <summary>Seconds after the earlier job finished during which it still blocks.</summary>
    [JsonPropertyName("unique_window_seconds")] public int? UniqueWindowSeconds { get; init; }
    /// <summary><c>return_existing</c> (default) or <c>conflict</c>.</summary>
    [JsonPropertyName("on_duplicate")] public string? OnDuplicate { get; init; }
}

/// <summary>Answer of <c>POST /api/v1/jobs</c>.</summary>
internal sealed record SubmitJobResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt);

/// <summary>One item of the answer of <c>POST /api/v1/jobs/bulk</c>: the job's id and status, or, for a refused item, null id, status <c>error</c> and the reason.</summary>
internal sealed record BulkSubmitItem(
    [property: JsonPropertyName("id")] Guid? Id,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null,
    [property: JsonPropertyName("context"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Context = null);

/// <summary>One row of <c>GET /api/v1/jobs</c>.</summary>
internal sealed record JobSummary(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("priority")] string Priority,
    [property: JsonPropertyName("executor_id")] string? ExecutorId,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("started_at")] DateTime? StartedAt);

/// <summary><c>GET /api/v1/jobs/{id}</c>; also the answer of a successful claim.</summary>
internal sealed record JobDetail
{
    /// <summary>Job id.</summary>
    [JsonPropertyName("id")] public required Guid Id { get; init; }
    /// <summary>Job type.</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }
    /// <summary>Binary URL.</summary>
    [JsonPropertyName("binary_url")] public string? BinaryUrl { get; init; }
    /// <summary>Binary SHA-256.</summary>
    [JsonPropertyName("binary_sha256")] public string? BinarySha256 { get; init; }
    /// <summary>Arguments.</summary>
    [JsonPropertyName("arguments")] public IReadOnlyList<string> Arguments { get; init; } = [];
    /// <summary>Environment variables.</summary>
    [JsonPropertyName("env_variables")] public IReadOnlyDictionary<string, string> EnvVariables { get; init; } = new Dictionary<string, string>();
    /// <summary>Priority name.</summary>
    [JsonPropertyName("priority")] public required string Priority { get; init; }
    /// <summary>The submitted bound on one attempt's run time, when given; executors kill the binary past it.</summary>
    [JsonPropertyName("timeout_seconds")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? TimeoutSeconds { get; init; }
    /// <summary>pending, running, completed, failed or cancelled.</summary>
    [JsonPropertyName("status")] public required string Status { get; init; }
    /// <summary>The executor holding or last holding the job.</summary>
    [JsonPropertyName("executor_id")] public string? ExecutorId { get; init; }
    /// <summary>Captured standard output (at most 1 MiB).</summary>
    [JsonPropertyName("stdout")] public string? Stdout { get; init; }
    /// <summary>Captured standard error (at most 1 MiB).</summary>
    [JsonPropertyName("stderr")] public string? Stderr { get; init; }
    /// <summary>Exit code, when known.</summary>
    [JsonPropertyName("exit_code")] public int? ExitCode { get; init; }
    /// <summary>Why the job failed, when it did.</summary>
    [JsonPropertyName("error_message")] public string? ErrorMessage { get; init; }
    /// <summary>Submission time.</summary>
    [JsonPropertyName("created_at")] public required DateTime CreatedAt { get; init; }
    /// <summary>Start of the latest attempt.</summary>
    [JsonPropertyName("started_at")] public DateTime? StartedAt { get; init; }
    /// <summary>When the job reached a terminal status.</summary>
    [JsonPropertyName("completed_at")] public DateTime? CompletedAt { get; init; }
    /// <summary>Every attempt, first first.</summary>
    [JsonPropertyName("attempts")] public IReadOnlyList<JobAttempt> Attempts { get; init; } = [];
}

/// <summary>One attempt at a job.</summary>
internal sealed record JobAttempt(
    [property: JsonPropertyName("executor_id")] string ExecutorId,
    [property: JsonPropertyName("executor_ip")] string? ExecutorIp,
    [property: JsonPropertyName("started_at")] DateTime StartedAt,
    [property: JsonPropertyName("ended_at")] DateTime? EndedAt,
    [property: JsonPropertyName("status")] string Status);

/// <summary>Body of <c>POST /api/v1/jobs/bulk/cancel</c>.</summary>
internal sealed record BulkCancelRequest
{
    /// <summary>Jobs to cancel.</summary>
    [JsonPropertyName("job_ids")] public IReadOnlyList<string>? JobIds { get; init; }
}

/// <summary>Answer of <c>POST /api/v1/jobs/bulk/cancel</c>.</summary>
internal sealed record BulkCancelResponse(
    [property: JsonPropertyName("cancelled")] int Cancelled,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("errors")] IReadOnlyList<BulkCancelError> Errors);

/// <summary>Why one job of a bulk cancel was not cancelled.</summary>
internal sealed record BulkCancelError(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("error")] string Error);

/// <summary>Body of <c>POST /api/v1/jobs/claim</c>.</summary>
internal sealed record ClaimJobRequest
{
    /// <summary>The claiming executor.</summary>
    [JsonPropertyName("executor_id")] public string? ExecutorId { get; init; }
    /// <summary>Its address.</summary>
    [JsonPropertyName("executor_ip")] public string? ExecutorIp { get; init; }
}

/// <summary>Body of <c>PUT /api/v1/jobs/{id}/heartbeat</c>.</summary>
internal sealed record JobHeartbeatRequest
{
    /// <summary>The executor running the job.</summary>
    [JsonPropertyName("executor_id")] public string? ExecutorId { get; init; }
}

/// <summary>Body of <c>PUT /api/v1/jobs/{id}/complete</c> and <c>/fail</c>.</summary>
internal sealed record JobResultRequest
{
    /// <summary>The executor running the job.</summary>
    [JsonPropertyName("executor_id")] public string? ExecutorId { get; init; }
    /// <summary>Standard output; cut to 1 MiB.</summary>
    [JsonPropertyName("stdout")] public string? Stdout { get; init; }
    /// <summary>Standard error; cut to 1 MiB.</summary>
    [JsonPropertyName("stderr")] public string? Stderr { get; init; }
    /// <summary>Exit code.</summary>
    [JsonPropertyName("exit_code")] public int? ExitCode { get; init; }
    /// <summary>Why the job failed (fail only).</summary>
    [JsonPropertyName("error_message")] public string? ErrorMessage { get; init; }
}

/// <summary>Answer of heartbeat, complete and fail.</summary>
internal sealed record JobAckResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("status")] string Status);

/// <summary><c>GET /api/v1/admin/stats</c>.</summary>
internal sealed record JobStatsResponse(
    [property: JsonPropertyName("jobs_by_status")] IReadOnlyDictionary<string, int> JobsByStatus,
    [property: JsonPropertyName("pending_by_priority")] IReadOnlyDictionary<string, int> PendingByPriority,
    [property: JsonPropertyName("active_executors")] int ActiveExecutors)
{
    /// <summary>Rows per table of the store and the oldest row's age; system callers only (the figures cover every org).</summary>
    [JsonPropertyName("storage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Platform.Metrics.StorageTableJson>? Storage { get; init; }

    /// <summary>What retention deleted since the process started; system callers only.</summary>
    [JsonPropertyName("retention"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Platform.Metrics.RetentionJson? Retention { get; init; }
}

/// <summary>One row of <c>GET /api/v1/admin/executors</c>.</summary>
internal sealed record ExecutorRow(
    [property: JsonPropertyName("executor_id")] string ExecutorId,
    [property: JsonPropertyName("current_job_id")] Guid? CurrentJobId,
    [property: JsonPropertyName("job_type")] string? JobType,
    [property: JsonPropertyName("last_heartbeat")] DateTime? LastHeartbeat,
    [property: JsonPropertyName("jobs_completed")] long JobsCompleted,
    [property: JsonPropertyName("types"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Types = null,
    [property: JsonPropertyName("capacity"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Capacity = null);

/// <summary>The jobs family's error body: <c>{"error": "...", "context": {...}}</c>.</summary>
internal sealed record JobsErrorBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("context"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Context = null);
