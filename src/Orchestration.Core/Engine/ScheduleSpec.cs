using Orchestration.Domain;

namespace Orchestration.Engine;

/// <summary>A cron schedule to create or replace (by org, family and name).</summary>
public sealed record ScheduleSpec
{
    /// <summary>Owning org; embedded callers can leave the default.</summary>
    public string OrgId { get; init; } = Org.DefaultId;
    /// <summary>The family whose <see cref="IScheduledRunFactory"/> builds the runs; without one, <see cref="Run"/> is used.</summary>
    public string Family { get; init; } = "embedded";
    /// <summary>Name, unique per org and family (at most 200 characters).</summary>
    public required string Name { get; init; }
    /// <summary>Cron expression: five fields (minute hour day month weekday), or six with seconds first.</summary>
    public required string Cron { get; init; }
    /// <summary>IANA time zone the expression is read in (<c>Europe/Berlin</c>); UTC by default.</summary>
    public string TimeZone { get; init; } = "UTC";
    /// <summary>What to do with fire times missed during downtime or a pause; one run for them all by default.</summary>
    public MisfirePolicy Misfire { get; init; } = MisfirePolicy.RunOnce;
    /// <summary>At most this many runs for missed times under <see cref="MisfirePolicy.CatchUp"/> (1 to 1000).</summary>
    public int CatchUpLimit { get; init; } = 10;
    /// <summary>Create the schedule paused.</summary>
    public bool Paused { get; init; }
    /// <summary>The run each fire time creates (its org and family are the schedule's), for families without a factory.</summary>
    public RunSpec? Run { get; init; }
}

/// <summary>Creates, changes and lists cron schedules. Fire times are handled by the leader; see docs/scheduling.md.</summary>
public interface IScheduleClient
{
    /// <summary>Creates the schedule, or replaces it when one of that name exists in the org and family; its next fire time is recomputed from now.</summary>
    /// <exception cref="OrchestrationValidationException">A bad cron expression, unknown time zone, catch-up limit out of range, or invalid run.</exception>
    Task<Schedule> UpsertScheduleAsync(ScheduleSpec spec, CancellationToken cancellationToken = default);

    /// <summary>The schedule, or null.</summary>
    Task<Schedule?> GetScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken = default);

    /// <summary>The org's schedules, of one family when given.</summary>
    Task<IReadOnlyList<Schedule>> ListSchedulesAsync(string orgId, string? family = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the schedule; false when not found. Runs it created are kept.</summary>
    Task<bool> DeleteScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken = default);

    /// <summary>Stops the schedule firing; null when not found.</summary>
    Task<Schedule?> PauseScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken = default);

    /// <summary>Resumes the schedule; the times it missed while paused are handled by its misfire policy. Null when not found.</summary>
    Task<Schedule?> ResumeScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken = default);
}

/// <summary>
/// Builds the run of one fire time for the schedules of a family. Register one per family in DI
/// (<c>services.AddSingleton&lt;IScheduledRunFactory, MyFactory&gt;()</c>); schedules of a family without one create the
/// run stored with the schedule (<see cref="ScheduleSpec.Run"/>).
/// </summary>
public interface IScheduledRunFactory
{
    /// <summary>The family whose schedules this factory serves.</summary>
    string Family { get; }

    /// <summary>The run for <paramref name="schedule"/> at <paramref name="fireAt"/>; its org and family are set to the schedule's.</summary>
    ValueTask<RunSpec> CreateRunAsync(Schedule schedule, DateTimeOffset fireAt, CancellationToken cancellationToken);
}
