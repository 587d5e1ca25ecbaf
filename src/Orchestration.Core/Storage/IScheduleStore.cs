using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// Store SPI: cron schedules and their fire records. Every operation is atomic. Times are the engine's (the leader's
/// clock), passed in, because fire times are computed on the host from the cron expression.
/// </summary>
public interface IScheduleStore
{
    /// <summary>Creates the schedule, or replaces every field but its id and creation time when org, family and name exist.</summary>
    Task<Schedule> UpsertScheduleAsync(UpsertScheduleParams parameters, CancellationToken cancellationToken);

    /// <summary>The schedule, or null (another org's or family's is not found).</summary>
    Task<Schedule?> GetScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken);

    /// <summary>The org's schedules (of one family when given), by name.</summary>
    Task<IReadOnlyList<Schedule>> ListSchedulesAsync(string orgId, string? family, CancellationToken cancellationToken);

    /// <summary>Deletes the schedule and its fire records; false when not found. Runs it created are kept.</summary>
    Task<bool> DeleteScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Pauses or resumes; null when not found. The next fire time is left as it was, so the times a paused schedule
    /// missed are handled by its misfire policy when it is resumed.
    /// </summary>
    Task<Schedule?> SetSchedulePausedAsync(string orgId, string family, string name, bool paused, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Unpaused schedules whose next fire time is at or before <paramref name="now"/>, earliest first, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<Schedule>> GetDueSchedulesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken);

    /// <summary>The earliest next fire time of an unpaused schedule; null when none has one.</summary>
    Task<DateTimeOffset?> NextScheduleFireAtAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Fires a schedule, in one transaction: applies only while the schedule exists, is not paused and its next fire
    /// time is still <see cref="FireScheduleParams.ExpectedNextFireAt"/> (what the caller read); then, for each fire,
    /// inserts the fire record (schedule id, fire time) and, only when that record is new, creates its run; and moves
    /// the next fire time to <see cref="FireScheduleParams.NextFireAt"/>. The fire record is unique, so no fire time
    /// creates two runs, whichever hosts fire it and however often.
    /// </summary>
    Task<FireScheduleResult> FireScheduleAsync(FireScheduleParams parameters, CancellationToken cancellationToken);
}

/// <summary>Parameters of <see cref="IScheduleStore.UpsertScheduleAsync"/>.</summary>
public sealed record UpsertScheduleParams
{
    /// <summary>Id for a new schedule (kept when it exists).</summary>
    public required Guid Id { get; init; }
    /// <summary>Owning org.</summary>
    public required string OrgId { get; init; }
    /// <summary>Family.</summary>
    public required string Family { get; init; }
    /// <summary>Name, unique per org and family.</summary>
    public required string Name { get; init; }
    /// <summary>Validated cron expression.</summary>
    public required string Cron { get; init; }
    /// <summary>Validated IANA time zone.</summary>
    public required string TimeZone { get; init; }
    /// <summary>Misfire policy.</summary>
    public MisfirePolicy Misfire { get; init; }
    /// <summary>Cap for catch-up.</summary>
    public int CatchUpLimit { get; init; }
    /// <summary>Paused.</summary>
    public bool Paused { get; init; }
    /// <summary>Stored run spec JSON.</summary>
    public string? RunSpecJson { get; init; }
    /// <summary>The first fire time after <see cref="Now"/>.</summary>
    public DateTimeOffset? NextFireAt { get; init; }
    /// <summary>The engine's clock.</summary>
    public required DateTimeOffset Now { get; init; }
}

/// <summary>One fire time and the run it creates.</summary>
/// <param name="FireAt">The fire time (an occurrence of the cron expression).</param>
/// <param name="Run">The run to create when this time was not fired before.</param>
public sealed record ScheduledFire(DateTimeOffset FireAt, CreateRunParams Run);

/// <summary>Parameters of <see cref="IScheduleStore.FireScheduleAsync"/>.</summary>
public sealed record FireScheduleParams
{
    /// <summary>The schedule.</summary>
    public required Guid ScheduleId { get; init; }
    /// <summary>The next fire time the caller read: the fence against a concurrent or repeated firing.</summary>
    public required DateTimeOffset ExpectedNextFireAt { get; init; }
    /// <summary>The times to fire, each with its run (may be empty: a skipped misfire only moves the next fire time).</summary>
    public required IReadOnlyList<ScheduledFire> Fires { get; init; }
    /// <summary>The new next fire time; null when the expression has no further time.</summary>
    public DateTimeOffset? NextFireAt { get; init; }
    /// <summary>The engine's clock.</summary>
    public required DateTimeOffset Now { get; init; }
}

/// <summary>Outcome of <see cref="IScheduleStore.FireScheduleAsync"/>.</summary>
/// <param name="Applied">False when the fence failed (gone, paused, or fired meanwhile): nothing was written.</param>
/// <param name="Fired">The fire times that created a run now, with the run's id; times fired before are left out.</param>
public sealed record FireScheduleResult(bool Applied, IReadOnlyList<(DateTimeOffset FireAt, Guid RunId)> Fired);
