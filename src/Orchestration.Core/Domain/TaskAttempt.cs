namespace Orchestration.Domain;

/// <summary>One attempt at a task: who ran it, when, and how it ended.</summary>
public sealed record TaskAttempt
{
    /// <summary>The task.</summary>
    public required Guid TaskId { get; init; }
    /// <summary>1 for the first attempt.</summary>
    public required int Number { get; init; }
    /// <summary>The executor that claimed it.</summary>
    public required string ExecutorId { get; init; }
    /// <summary>The executor's address, when it told us.</summary>
    public string? ExecutorIp { get; init; }
    /// <summary>Claim time.</summary>
    public required DateTimeOffset StartedAt { get; init; }
    /// <summary>End time; null while running.</summary>
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>Null while running, else one of <see cref="AttemptOutcomes"/>.</summary>
    public string? Outcome { get; init; }
    /// <summary>Error message of a failed attempt.</summary>
    public string? Error { get; init; }
}

/// <summary>Values of <see cref="TaskAttempt.Outcome"/>.</summary>
public static class AttemptOutcomes
{
    /// <summary>The handler finished and its completion applied.</summary>
    public const string Completed = "completed";
    /// <summary>The handler failed.</summary>
    public const string Failed = "failed";
    /// <summary>The executor stopped heartbeating and the lease ran out.</summary>
    public const string LeaseExpired = "lease_expired";
    /// <summary>The run was cancelled while the attempt ran.</summary>
    public const string Cancelled = "cancelled";
    /// <summary>The executor gave the task back (shutdown).</summary>
    public const string Released = "released";
}
