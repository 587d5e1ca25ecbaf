namespace Orchestration.Domain;

/// <summary>Lifecycle of a <see cref="TaskRun"/>.</summary>
/// <remarks>
/// pending → queued → running → completed | failed | cancelled; running → retrying → running (next attempt);
/// pending → skipped when an upstream task failed; awaiting_approval for manual review.
/// </remarks>
public enum TaskRunStatus
{
    /// <summary>Waiting for its dependencies (engine-managed runs) or for a client to drive it (open runs).</summary>
    Pending,
    /// <summary>Ready: every dependency completed; claimable.</summary>
    Queued,
    /// <summary>Claimed by an executor that holds its lease.</summary>
    Running,
    /// <summary>Finished successfully. Terminal.</summary>
    Completed,
    /// <summary>Failed for good (attempts used up or a permanent failure). Terminal.</summary>
    Failed,
    /// <summary>Cancelled with its run. Terminal.</summary>
    Cancelled,
    /// <summary>An attempt failed; claimable again once its retry time has come.</summary>
    Retrying,
    /// <summary>Waiting for a person to approve it.</summary>
    AwaitingApproval,
    /// <summary>Not run because a task it depends on failed. Terminal.</summary>
    Skipped,
}

/// <summary>Wire names and predicates for the status enums.</summary>
public static class StatusNames
{
    /// <summary>The snake_case name used on every wire and in every database (<c>awaiting_approval</c>).</summary>
    public static string ToWire(this TaskRunStatus status) => status switch
    {
        TaskRunStatus.Pending => "pending",
        TaskRunStatus.Queued => "queued",
        TaskRunStatus.Running => "running",
        TaskRunStatus.Completed => "completed",
        TaskRunStatus.Failed => "failed",
        TaskRunStatus.Cancelled => "cancelled",
        TaskRunStatus.Retrying => "retrying",
        TaskRunStatus.AwaitingApproval => "awaiting_approval",
        TaskRunStatus.Skipped => "skipped",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The lower-case name used on every wire and in every database.</summary>
    public static string ToWire(this RunStatus status) => status switch
    {
        RunStatus.Pending => "pending",
        RunStatus.Running => "running",
        RunStatus.Completed => "completed",
        RunStatus.Failed => "failed",
        RunStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>Parses a wire name; false for anything unknown (callers answer 400, never throw).</summary>
    public static bool TryParseTaskStatus(string? value, out TaskRunStatus status)
    {
        foreach (var s in Enum.GetValues<TaskRunStatus>())
        {
            if (string.Equals(s.ToWire(), value, StringComparison.Ordinal))
            {
                status = s;
                return true;
            }
        }

        status = default;
        return false;
    }

    /// <summary>Parses a wire name; false for anything unknown.</summary>
    public static bool TryParseRunStatus(string? value, out RunStatus status)
    {
        foreach (var s in Enum.GetValues<RunStatus>())
        {
            if (string.Equals(s.ToWire(), value, StringComparison.Ordinal))
            {
                status = s;
                return true;
            }
        }

        status = default;
        return false;
    }

    /// <summary>Parses a wire name, throwing for values no store should ever hold.</summary>
    public static TaskRunStatus ParseTaskStatus(string value) =>
        TryParseTaskStatus(value, out var s) ? s : throw new FormatException($"Unknown task status '{value}'.");

    /// <summary>Parses a wire name, throwing for values no store should ever hold.</summary>
    public static RunStatus ParseRunStatus(string value) =>
        TryParseRunStatus(value, out var s) ? s : throw new FormatException($"Unknown run status '{value}'.");

    /// <summary>True for completed, failed, cancelled and skipped: the task will not change again unless its run is restarted.</summary>
    public static bool IsTerminal(this TaskRunStatus status) =>
        status is TaskRunStatus.Completed or TaskRunStatus.Failed or TaskRunStatus.Cancelled or TaskRunStatus.Skipped;

    /// <summary>True for completed, failed and cancelled.</summary>
    public static bool IsTerminal(this RunStatus status) =>
        status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled;
}
