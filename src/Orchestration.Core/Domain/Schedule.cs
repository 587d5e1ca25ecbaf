namespace Orchestration.Domain;

/// <summary>What the leader does with fire times that passed while nothing fired them (downtime, a paused schedule).</summary>
public enum MisfirePolicy
{
    /// <summary>One run for all the missed times, at the latest of them (the default).</summary>
    RunOnce,
    /// <summary>No run for missed times; the schedule continues with the next time to come.</summary>
    Skip,
    /// <summary>One run per missed time, at most <see cref="Schedule.CatchUpLimit"/> of them (the latest ones).</summary>
    CatchUp,
}

/// <summary>A cron schedule: creates a run at each fire time, on the leader, once per time across every host.</summary>
public sealed record Schedule
{
    /// <summary>Identifier.</summary>
    public required Guid Id { get; init; }
    /// <summary>Owning org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The API family the schedule belongs to; its <c>IScheduledRunFactory</c> builds the runs.</summary>
    public required string Family { get; init; }
    /// <summary>Name, unique per org and family.</summary>
    public required string Name { get; init; }
    /// <summary>Cron expression (five fields, or six with seconds first).</summary>
    public required string Cron { get; init; }
    /// <summary>IANA time zone the expression is read in.</summary>
    public required string TimeZone { get; init; }
    /// <summary>What to do with missed fire times.</summary>
    public MisfirePolicy Misfire { get; init; }
    /// <summary>At most this many runs for missed times under <see cref="MisfirePolicy.CatchUp"/>.</summary>
    public int CatchUpLimit { get; init; }
    /// <summary>A paused schedule fires nothing; resuming applies <see cref="Misfire"/> to the times it missed.</summary>
    public bool Paused { get; init; }
    /// <summary>The run to create, as JSON of a run spec, for families that use the stored-spec factory.</summary>
    public string? RunSpecJson { get; init; }
    /// <summary>The next fire time not yet fired; null when the expression has no further time.</summary>
    public DateTimeOffset? NextFireAt { get; init; }
    /// <summary>The latest fire time that created a run.</summary>
    public DateTimeOffset? LastFiredAt { get; init; }
    /// <summary>Creation time.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Last change.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}
