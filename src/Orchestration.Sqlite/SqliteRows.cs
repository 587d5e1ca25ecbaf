using Orchestration.Domain;
using Orchestration.Storage;
using static Orchestration.Sqlite.SqliteValues;

namespace Orchestration.Sqlite;

// Mutable images of rows, loaded and written back inside one write transaction (the single writer makes this safe).
internal sealed class RunRow
{
    public const string Columns =
        "seq, id, org_id, kind, status, family, name, input, output, error, metadata, idempotency_key, max_concurrency, " +
        "deadline_at, deadline_armed, created_at, updated_at, started_at, completed_at, unfinished, scheduled_at";

    public long Seq { get; set; }
    public Guid Id { get; set; }
    public string OrgId { get; set; } = "";
    public RunKind Kind { get; set; }
    public RunStatus Status { get; set; }
    public string Family { get; set; } = "";
    public string? Name { get; set; }
    public string? InputJson { get; set; }
    public string? OutputJson { get; set; }
    public string? ErrorJson { get; set; }
    public string? MetadataJson { get; set; }
    public string? IdempotencyKey { get; set; }
    public int? MaxConcurrency { get; set; }
    public DateTimeOffset? DeadlineAt { get; set; }
    public bool DeadlineArmed { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public int Unfinished { get; set; }
    public DateTimeOffset? ScheduledAt { get; set; }
    public bool Dirty { get; set; }

    /// <summary>The creator's trace context, set only on runs this process creates (written once, with the insert).</summary>
    public string? TraceParent { get; set; }
    public string? TraceState { get; set; }

    /// <summary>
    /// False only when this process knows no task of the run depends on another (it created the run without edges and
    /// added no task with dependencies since): completions then skip the dependents lookup. A row read from the file
    /// starts true.
    /// </summary>
    public bool MayHaveDependents { get; set; } = true;

    /// <summary>
    /// True only when this process knows no task of the run is failed, cancelled or skipped: it created the run, and every
    /// such transition since went through <see cref="WriteTx.SaveTask"/>, <see cref="WriteTx.AddTask"/> or
    /// <see cref="WriteTx.TaskFailedIn"/>, which clear it. Finalisation then needs no query. A row read from the file starts false.
    /// </summary>
    public bool NoFailedTasks { get; set; }

    public static RunRow Read(Row r) => new()
    {
        Seq = r.GetInt64(0),
        Id = Id(r, 1),
        OrgId = r.GetString(2),
        Kind = r.GetUtf8(3).SequenceEqual("open"u8) ? RunKind.Open : RunKind.Managed,
        Status = RunStatusOf(r.GetUtf8(4)),
        Family = r.GetString(5),
        Name = StringOrNull(r, 6),
        InputJson = StringOrNull(r, 7),
        OutputJson = StringOrNull(r, 8),
        ErrorJson = StringOrNull(r, 9),
        MetadataJson = StringOrNull(r, 10),
        IdempotencyKey = StringOrNull(r, 11),
        MaxConcurrency = IntOrNull(r, 12),
        DeadlineAt = TimeOrNull(r, 13),
        DeadlineArmed = r.GetInt64(14) != 0,
        CreatedAt = Time(r.GetInt64(15)),
        UpdatedAt = Time(r.GetInt64(16)),
        StartedAt = TimeOrNull(r, 17),
        CompletedAt = TimeOrNull(r, 18),
        Unfinished = r.GetInt32(19),
        ScheduledAt = TimeOrNull(r, 20),
    };

    // The row of a run this process creates: it knows the run has no failed task yet.
    public static RunRow Created(Run run, int unfinished) => new()
    {
        Id = run.Id,
        OrgId = run.OrgId,
        Kind = run.Kind,
        Status = run.Status,
        Family = run.Family,
        Name = run.Name,
        InputJson = run.InputJson,
        MetadataJson = run.MetadataJson,
        IdempotencyKey = run.IdempotencyKey,
        MaxConcurrency = run.MaxConcurrency,
        DeadlineAt = run.DeadlineAt,
        DeadlineArmed = run.DeadlineAt is not null,
        CreatedAt = run.CreatedAt,
        UpdatedAt = run.UpdatedAt,
        Unfinished = unfinished,
        ScheduledAt = run.ScheduledAt,
        NoFailedTasks = true,
    };

    public static string KindToDb(RunKind kind) => kind == RunKind.Open ? "open" : "managed";

    /// <summary>
    /// The run as created: <paramref name="created"/> itself (the record the row was made from) while the row still
    /// says the same, so a bulk enqueue hands back the record it built instead of a copy of it.
    /// </summary>
    public Run ToRun(Run created) =>
        Id == created.Id && Status == created.Status && OutputJson is null && ErrorJson is null && UpdatedAt == created.UpdatedAt
        && StartedAt == created.StartedAt && CompletedAt == created.CompletedAt && DeadlineAt == created.DeadlineAt && ScheduledAt == created.ScheduledAt
        && Name == created.Name && MetadataJson == created.MetadataJson && InputJson == created.InputJson && MaxConcurrency == created.MaxConcurrency
        && Kind == created.Kind && Family == created.Family && OrgId == created.OrgId && IdempotencyKey == created.IdempotencyKey && CreatedAt == created.CreatedAt
            ? created
            : ToRun(created.TotalTasks, 0, 0);

    public Run ToRun(int total, int completed, int failed) => new()
    {
        Id = Id,
        OrgId = OrgId,
        Kind = Kind,
        Status = Status,
        Family = Family,
        Name = Name,
        InputJson = InputJson,
        OutputJson = OutputJson,
        ErrorJson = ErrorJson,
        MetadataJson = MetadataJson,
        IdempotencyKey = IdempotencyKey,
        MaxConcurrency = MaxConcurrency,
        DeadlineAt = DeadlineAt,
        ScheduledAt = ScheduledAt,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        StartedAt = StartedAt,
        CompletedAt = CompletedAt,
        TotalTasks = total,
        CompletedTasks = completed,
        FailedTasks = failed,
    };
}

internal sealed class TaskRow
{
    public const string Columns =
        "seq, id, run_id, org_id, name, type, status, priority, input, output, error, metadata, dependencies, remaining_deps, " +
        "parent_task_id, retry_max_attempts, retry_initial_delay, retry_max_delay, retry_backoff, retry_jitter, timeout, attempt, " +
        "not_before, lease_token, lease_expires_at, executor_id, queue_job_id, enqueue, created_at, updated_at, queued_at, started_at, completed_at, executor_ip, limit_key, " +
        "routes, allow_failure, exit_code, routes_out, reviewed_by, reviewed_at, review_approved, review_comments";

    public long Seq { get; set; }
    public Guid Id { get; set; }
    public Guid RunId { get; set; }
    public string OrgId { get; set; } = "";
    public string Name { get; set; } = "";
    public string Type { get; set; } = "";
    public TaskRunStatus Status { get; set; }
    public int Priority { get; set; }
    public string? InputJson { get; set; }
    public string? OutputJson { get; set; }
    public string? ErrorJson { get; set; }
    public string? MetadataJson { get; set; }
    public IReadOnlyList<string> Dependencies { get; set; } = [];
    public int RemainingDependencies { get; set; }
    public Guid? ParentTaskId { get; set; }
    public RetryPolicy RetryPolicy { get; set; } = RetryPolicy.Default;
    public TimeSpan? Timeout { get; set; }
    public int Attempt { get; set; }
    public DateTimeOffset? NotBefore { get; set; }
    public Guid? LeaseToken { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }
    public string? ExecutorId { get; set; }
    public string? QueueJobId { get; set; }
    public bool Enqueue { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? QueuedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The address of the executor holding the lease: the attempt in progress lives on the task (see migration 0003).</summary>
    public string? ExecutorIp { get; set; }

    /// <summary>The concurrency key, written once at enqueue (migration 0007); never changed by <c>UpdateTask</c>.</summary>
    public string? LimitKey { get; set; }

    /// <summary>Routes as stored (RouteRules JSON), parsed only when a route is decided or the task is read.</summary>
    public string? RoutesJson { get; set; }
    public bool AllowFailure { get; set; }
    public int? ExitCode { get; set; }

    /// <summary>Some task of the run routes from this one: its end re-decides the run's routed tasks (migration 0010).</summary>
    public bool RoutesOut { get; set; }

    public TaskReview? Review { get; set; }

    // Mirrors the reference store's "running set": claimed tasks hold a lease expiry, tasks a client marked running do not.
    public bool HoldsLease => Status == TaskRunStatus.Running && LeaseExpiresAt is not null;

    public static TaskRow Read(Row r) => new()
    {
        Seq = r.GetInt64(0),
        Id = Id(r, 1),
        RunId = Id(r, 2),
        OrgId = r.GetString(3),
        Name = r.GetString(4),
        Type = r.GetString(5),
        Status = TaskStatus(r.GetUtf8(6)),
        Priority = r.GetInt32(7),
        InputJson = StringOrNull(r, 8),
        OutputJson = StringOrNull(r, 9),
        ErrorJson = StringOrNull(r, 10),
        MetadataJson = StringOrNull(r, 11),
        Dependencies = JsonToList(StringOrNull(r, 12)),
        RemainingDependencies = r.GetInt32(13),
        ParentTaskId = IdOrNull(r, 14),
        RetryPolicy = Policy(r.GetInt32(15), TimeSpan.FromTicks(r.GetInt64(16)), TimeSpan.FromTicks(r.GetInt64(17)), r.GetDouble(18), r.GetDouble(19)),
        Timeout = r.IsDBNull(20) ? null : TimeSpan.FromTicks(r.GetInt64(20)),
        Attempt = r.GetInt32(21),
        NotBefore = TimeOrNull(r, 22),
        LeaseToken = IdOrNull(r, 23),
        LeaseExpiresAt = TimeOrNull(r, 24),
        ExecutorId = StringOrNull(r, 25),
        QueueJobId = StringOrNull(r, 26),
        Enqueue = r.GetInt64(27) != 0,
        CreatedAt = Time(r.GetInt64(28)),
        UpdatedAt = Time(r.GetInt64(29)),
        QueuedAt = TimeOrNull(r, 30),
        StartedAt = TimeOrNull(r, 31),
        CompletedAt = TimeOrNull(r, 32),
        ExecutorIp = StringOrNull(r, 33),
        LimitKey = StringOrNull(r, 34),
        RoutesJson = StringOrNull(r, 35),
        AllowFailure = r.GetInt64(36) != 0,
        ExitCode = IntOrNull(r, 37),
        RoutesOut = r.GetInt64(38) != 0,
        Review = r.IsDBNull(39) ? null : new TaskReview(r.GetInt64(41) != 0, r.GetString(39), Time(r.GetInt64(40)), StringOrNull(r, 42)),
    };

    // Nearly every task carries the default policy; sharing that instance saves an allocation per row read.
    private static RetryPolicy Policy(int maxAttempts, TimeSpan initialDelay, TimeSpan maxDelay, double backoff, double jitter)
    {
        var d = RetryPolicy.Default;
        return maxAttempts == d.MaxAttempts && initialDelay == d.InitialDelay && maxDelay == d.MaxDelay && backoff.Equals(d.BackoffFactor) && jitter.Equals(d.Jitter)
            ? d
            : new RetryPolicy(maxAttempts, initialDelay, maxDelay, backoff, jitter);
    }

    public TaskRun ToTaskRun() => new()
    {
        Id = Id,
        OrgId = OrgId,
        RunId = RunId,
        Name = Name,
        Type = Type,
        Status = Status,
        Priority = Priority,
        InputJson = InputJson,
        OutputJson = OutputJson,
        ErrorJson = ErrorJson,
        MetadataJson = MetadataJson,
        Dependencies = Dependencies,
        Routes = RouteRules.FromJson(RoutesJson),
        AllowFailure = AllowFailure,
        ExitCode = ExitCode,
        Review = Review,
        ParentTaskId = ParentTaskId,
        RetryPolicy = RetryPolicy,
        Timeout = Timeout,
        Attempt = Attempt,
        NotBefore = NotBefore,
        LeaseToken = LeaseToken,
        LeaseExpiresAt = LeaseExpiresAt,
        ExecutorId = ExecutorId,
        QueueJobId = QueueJobId,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        QueuedAt = QueuedAt,
        StartedAt = StartedAt,
        CompletedAt = CompletedAt,
    };
}

internal static class AttemptRows
{
    public const string Columns = "task_id, number, executor_id, executor_ip, started_at, ended_at, outcome, error";

    public static TaskAttempt Read(Row r) => new()
    {
        TaskId = Id(r, 0),
        Number = r.GetInt32(1),
        ExecutorId = r.GetString(2),
        ExecutorIp = StringOrNull(r, 3),
        StartedAt = Time(r.GetInt64(4)),
        EndedAt = TimeOrNull(r, 5),
        Outcome = StringOrNull(r, 6),
        Error = StringOrNull(r, 7),
    };
}

internal static class RunDataRows
{
    public const string Columns = "seq, id, org_id, run_id, task_id, key, value, tags, metadata, created_at, updated_at";

    public static (long Seq, RunDataEntry Entry) Read(Row r) => (r.GetInt64(0), new RunDataEntry
    {
        Id = Id(r, 1),
        OrgId = r.GetString(2),
        RunId = Id(r, 3),
        TaskId = IdOrNull(r, 4),
        Key = r.GetString(5),
        ValueJson = StringOrNull(r, 6),
        Tags = JsonToList(r.GetString(7)).ToArray(),
        MetadataJson = StringOrNull(r, 8),
        CreatedAt = Time(r.GetInt64(9)),
        UpdatedAt = Time(r.GetInt64(10)),
    });
}

internal static class EventRows
{
    public const string Columns = "seq, org_id, run_id, task_id, type, data, created_at";

    public static EngineEvent Read(Row r) => new()
    {
        Sequence = r.GetInt64(0),
        OrgId = r.GetString(1),
        RunId = Id(r, 2),
        TaskId = IdOrNull(r, 3),
        Type = r.GetString(4),
        DataJson = StringOrNull(r, 5),
        CreatedAt = Time(r.GetInt64(6)),
    };
}
