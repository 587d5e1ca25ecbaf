using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// Store SPI: the first state of a run and its tasks as a create writes them, decided once for every store: each store only puts
/// these rows where it keeps them (lists, a writer's buffer, parameter arrays, a COPY stream).
/// </summary>
public static class NewRun
{
    /// <summary>A managed run without tasks has nothing left to do: it completes as it is created.</summary>
    public static bool CompletesAtOnce(CreateRunParams p) => p.Kind == RunKind.Managed && p.Tasks.Count == 0;

    /// <summary>
    /// In a new run a task without dependencies is born queued (one write instead of a pending row and its update); the
    /// others wait, pending, for their dependencies, and a task that is not enqueued waits for a client.
    /// </summary>
    public static bool QueuedAtOnce(NewTask task) => task.Dependencies.Count == 0 && task.Routes.Count == 0 && task.Enqueue;

    /// <summary>
    /// The status a task takes when it becomes ready: <see cref="TaskRunStatus.Queued"/>, or
    /// <see cref="TaskRunStatus.AwaitingApproval"/> for an approval task (<see cref="TaskTypes.Approval"/>), which no
    /// executor claims.
    /// </summary>
    public static TaskRunStatus ReadyStatus(string type) =>
        string.Equals(type, TaskTypes.Approval, StringComparison.Ordinal) ? TaskRunStatus.AwaitingApproval : TaskRunStatus.Queued;

    /// <summary>The data of the <c>task.approved</c> / <c>task.rejected</c> event.</summary>
    public static string ReviewEventJson(TaskReview review)
    {
        ArgumentNullException.ThrowIfNull(review);
        return System.Text.Json.JsonSerializer.Serialize(new ReviewEvent(review.Reviewer, review.Approved, review.Comments), Engine.JsonDefaults.Options);
    }

    private sealed record ReviewEvent(string Reviewer, bool Approved, string? Comments);

    /// <summary>The message of a rejected approval's error.</summary>
    public static string RejectionError(ReviewTaskParams review)
    {
        ArgumentNullException.ThrowIfNull(review);
        return Engine.JsonDefaults.ErrorJson($"rejected by {review.Reviewer}: {review.Comments}");
    }

    /// <summary>True when some task waits for another, so completions must look for dependents.</summary>
    public static bool HasEdges(IReadOnlyList<NewTask> tasks)
    {
        // Indexed, not foreach: an enumerator of an IReadOnlyList is an allocation per run on the enqueue path.
        for (var i = 0; i < tasks.Count; i++)
        {
            if (tasks[i].Dependencies.Count > 0) return true;
        }

        return false;
    }

    /// <summary>True when some task has routes, so terminal tasks must re-decide the run's routed tasks.</summary>
    public static bool HasRoutes(IReadOnlyList<NewTask> tasks)
    {
        // Indexed, not foreach: an enumerator of an IReadOnlyList is an allocation per run on the enqueue path.
        for (var i = 0; i < tasks.Count; i++)
        {
            if (tasks[i].Routes.Count > 0) return true;
        }

        return false;
    }


    /// <summary>
    /// The scope a unique key of <paramref name="p"/> is held in: its family, and its name when the rule is per name. Null
    /// when the run has no unique rule.
    /// </summary>
    public static string? UniqueScopeOf(CreateRunParams p) => p.Unique switch
    {
        null => null,
        { Scope: Engine.UniqueScope.Name } => p.Family + "\u001f" + p.Name,
        _ => p.Family + "\u001f",
    };

    /// <summary>The run's deadline, counted from its creation, or from its scheduled time when that is later.</summary>
    public static DateTimeOffset? DeadlineAt(CreateRunParams p, DateTimeOffset now) =>
        p.Timeout is { } timeout ? (p.ScheduledAt is { } at && at > now ? at : now) + timeout : null;

    /// <summary>
    /// The not-before time of the run's tasks that would be born queued (<see cref="QueuedAtOnce"/>): they are born
    /// pending with this time instead, and the store's next claim at or after it queues them first (so a time already
    /// past makes them claimable at the next claim). Null for a run without a scheduled time and for open runs. The
    /// rule does not read a clock, so a store whose clock is the database's decides it as the others do.
    /// </summary>
    public static DateTimeOffset? ScheduledFor(CreateRunParams p) => p.Kind == RunKind.Managed ? p.ScheduledAt : null;

    /// <summary>
    /// The run as created at <paramref name="now"/>: pending, or completed when the caller writes the completion in the
    /// same step (see <see cref="CompletesAtOnce"/>).
    /// </summary>
    public static Run Run(CreateRunParams p, DateTimeOffset now, DateTimeOffset? deadlineAt, bool completed = false, int totalTasks = 0) => new()
    {
        Id = p.RunId,
        OrgId = p.OrgId,
        Kind = p.Kind,
        Status = completed ? RunStatus.Completed : RunStatus.Pending,
        Family = p.Family,
        Name = p.Name,
        InputJson = p.InputJson,
        MetadataJson = p.MetadataJson,
        IdempotencyKey = p.IdempotencyKey,
        MaxConcurrency = p.MaxConcurrency,
        DeadlineAt = deadlineAt,
        ScheduledAt = p.ScheduledAt,
        CreatedAt = now,
        UpdatedAt = now,
        StartedAt = completed ? now : null,
        CompletedAt = completed ? now : null,
        TotalTasks = totalTasks,
    };

    /// <summary>The task as inserted into <paramref name="run"/> at <paramref name="now"/>, queued or pending.</summary>
    public static TaskRun Task(Run run, NewTask task, DateTimeOffset now, bool queued) => new()
    {
        // An approval task is never claimed: where another would be queued, it awaits its review.
        Id = task.Id,
        OrgId = run.OrgId,
        RunId = run.Id,
        Name = task.Name,
        Type = task.Type,
        Status = queued ? ReadyStatus(task.Type) : TaskRunStatus.Pending,
        QueuedAt = queued ? now : null,
        Priority = task.Priority,
        InputJson = task.InputJson,
        MetadataJson = task.MetadataJson,
        Dependencies = task.Dependencies,
        Routes = task.Routes,
        AllowFailure = task.AllowFailure,
        ParentTaskId = task.ParentTaskId,
        RetryPolicy = task.RetryPolicy,
        Timeout = task.Timeout,
        CreatedAt = now,
        UpdatedAt = now,
    };
}
