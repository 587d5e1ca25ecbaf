using System.Data.Common;
using Orchestration.Domain;

namespace Orchestration.Postgres;

// Column lists and their readers. Readers go by position, so every SELECT lists the columns exactly as here.
internal static class PostgresRows
{
    public const string TaskColumns = """
        t.id, t.org_id, t.run_id, t.name, t.type, t.status, t.priority, t.input_json, t.output_json, t.error_json,
        t.metadata_json, t.dependencies, t.parent_task_id, t.retry_max_attempts, t.retry_initial_ticks, t.retry_max_ticks,
        t.retry_factor, t.retry_jitter, t.timeout_ticks, t.attempt, t.not_before, t.lease_token, t.lease_expires_at,
        t.executor_id, t.queue_job_id, t.created_at, t.updated_at, t.queued_at, t.started_at, t.completed_at,
        t.routes, t.allow_failure, t.exit_code, t.reviewed_by, t.reviewed_at, t.review_approved, t.review_comments
        """;

    public const string RunColumns = """
        r.id, r.org_id, r.kind, r.status, r.family, r.name, r.input_json, r.output_json, r.error_json, r.metadata_json,
        r.idempotency_key, r.max_concurrency, r.deadline_at, r.created_at, r.updated_at, r.started_at, r.completed_at
        """;

    // Counters are computed when read (issue: never stored, so they cannot drift).
    public const string RunCounters = """
        (SELECT count(*)::int FROM {s}.tasks x WHERE x.run_id = r.id) AS total_tasks,
        (SELECT count(*)::int FROM {s}.tasks x WHERE x.run_id = r.id AND x.status = 'completed') AS completed_tasks,
        (SELECT count(*)::int FROM {s}.tasks x WHERE x.run_id = r.id AND x.status = 'failed') AS failed_tasks,
        r.scheduled_at
        """;

    public const string RunDataColumns = "d.id, d.org_id, d.run_id, d.task_id, d.key, d.value_json, d.tags, d.metadata_json, d.created_at, d.updated_at";

    public const string AttemptColumns = "a.task_id, a.number, a.executor_id, a.executor_ip, a.started_at, a.ended_at, a.outcome, a.error";

    public const string EventColumns = "e.seq, e.org_id, e.run_id, e.task_id, e.type, e.data_json, e.created_at";

    public const string ApiKeyColumns = "k.id, k.org_id, k.name, k.secret_hash, k.permissions, k.created_at, k.expires_at, k.revoked_at, k.rate_limit, k.rate_limit_window_seconds";

    public static TaskRun Task(DbDataReader r) => new()
    {
        Id = r.GetGuid(0),
        OrgId = r.GetString(1),
        RunId = r.GetGuid(2),
        Name = r.GetString(3),
        Type = r.GetString(4),
        Status = StatusNames.ParseTaskStatus(r.GetString(5)),
        Priority = r.GetInt32(6),
        InputJson = Str(r, 7),
        OutputJson = Str(r, 8),
        ErrorJson = Str(r, 9),
        MetadataJson = Str(r, 10),
        Dependencies = r.GetFieldValue<string[]>(11),
        ParentTaskId = r.IsDBNull(12) ? null : r.GetGuid(12),
        RetryPolicy = new RetryPolicy(r.GetInt32(13), TimeSpan.FromTicks(r.GetInt64(14)), TimeSpan.FromTicks(r.GetInt64(15)), r.GetDouble(16), r.GetDouble(17)),
        Timeout = r.IsDBNull(18) ? null : TimeSpan.FromTicks(r.GetInt64(18)),
        Attempt = r.GetInt32(19),
        NotBefore = Time(r, 20),
        LeaseToken = r.IsDBNull(21) ? null : r.GetGuid(21),
        LeaseExpiresAt = Time(r, 22),
        ExecutorId = Str(r, 23),
        QueueJobId = Str(r, 24),
        CreatedAt = Time(r, 25)!.Value,
        UpdatedAt = Time(r, 26)!.Value,
        QueuedAt = Time(r, 27),
        StartedAt = Time(r, 28),
        CompletedAt = Time(r, 29),
        Routes = Orchestration.Storage.RouteRules.FromJson(Str(r, 30)),
        AllowFailure = r.GetBoolean(31),
        ExitCode = r.IsDBNull(32) ? null : r.GetInt32(32),
        Review = r.IsDBNull(33) ? null : new TaskReview(r.GetBoolean(35), r.GetString(33), Time(r, 34)!.Value, Str(r, 36)),
    };

    public static Run Run(DbDataReader r) => new()
    {
        Id = r.GetGuid(0),
        OrgId = r.GetString(1),
        Kind = r.GetString(2) == "open" ? RunKind.Open : RunKind.Managed,
        Status = StatusNames.ParseRunStatus(r.GetString(3)),
        Family = r.GetString(4),
        Name = Str(r, 5),
        InputJson = Str(r, 6),
        OutputJson = Str(r, 7),
        ErrorJson = Str(r, 8),
        MetadataJson = Str(r, 9),
        IdempotencyKey = Str(r, 10),
        MaxConcurrency = r.IsDBNull(11) ? null : r.GetInt32(11),
        DeadlineAt = Time(r, 12),
        CreatedAt = Time(r, 13)!.Value,
        UpdatedAt = Time(r, 14)!.Value,
        StartedAt = Time(r, 15),
        CompletedAt = Time(r, 16),
        TotalTasks = r.FieldCount > 17 ? r.GetInt32(17) : 0,
        CompletedTasks = r.FieldCount > 18 ? r.GetInt32(18) : 0,
        FailedTasks = r.FieldCount > 19 ? r.GetInt32(19) : 0,
        // Read with the counters (the read model), after them so the positions every other run statement reads stay put.
        ScheduledAt = r.FieldCount > 20 ? Time(r, 20) : null,
    };

    public static RunDataEntry RunData(DbDataReader r) => new()
    {
        Id = r.GetGuid(0),
        OrgId = r.GetString(1),
        RunId = r.GetGuid(2),
        TaskId = r.IsDBNull(3) ? null : r.GetGuid(3),
        Key = r.GetString(4),
        ValueJson = Str(r, 5),
        Tags = r.GetFieldValue<string[]>(6),
        MetadataJson = Str(r, 7),
        CreatedAt = Time(r, 8)!.Value,
        UpdatedAt = Time(r, 9)!.Value,
    };

    public static TaskAttempt Attempt(DbDataReader r) => new()
    {
        TaskId = r.GetGuid(0),
        Number = r.GetInt32(1),
        ExecutorId = r.GetString(2),
        ExecutorIp = Str(r, 3),
        StartedAt = Time(r, 4)!.Value,
        EndedAt = Time(r, 5),
        Outcome = Str(r, 6),
        Error = Str(r, 7),
    };

    public static EngineEvent Event(DbDataReader r) => new()
    {
        Sequence = r.GetInt64(0),
        OrgId = r.GetString(1),
        RunId = r.GetGuid(2),
        TaskId = r.IsDBNull(3) ? null : r.GetGuid(3),
        Type = r.GetString(4),
        DataJson = Str(r, 5),
        CreatedAt = Time(r, 6)!.Value,
    };

    public static ApiKeyRecord ApiKey(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        OrgId = r.GetString(1),
        Name = r.GetString(2),
        SecretHash = r.GetString(3),
        Permissions = r.GetFieldValue<string[]>(4),
        CreatedAt = Time(r, 5)!.Value,
        ExpiresAt = Time(r, 6),
        RevokedAt = Time(r, 7),
        RateLimit = r.IsDBNull(8) ? null : r.GetInt32(8),
        RateLimitWindowSeconds = r.IsDBNull(9) ? null : r.GetInt32(9),
    };

    public static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    public static string Kind(RunKind kind) => kind == RunKind.Open ? "open" : "managed";
}
