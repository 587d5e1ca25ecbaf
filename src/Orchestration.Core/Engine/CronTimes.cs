using Cronos;
using Orchestration.Domain;

namespace Orchestration.Engine;

/// <summary>
/// The fire times of one schedule: a Cronos expression read in an IANA time zone. Cronos decides the DST rules:
/// a time that does not exist (in the spring-forward gap) fires once, at the instant the clocks jump; a time that
/// exists twice (in the fall-back overlap) fires once, at its first occurrence, unless the expression steps through
/// the hour (<c>*</c>, ranges or steps in the hour field), which then fires in both.
/// </summary>
internal sealed class CronTimes
{
    /// <summary>Fire times older than this, when the leader looks, were missed (downtime, pause) rather than just due.</summary>
    public static readonly TimeSpan MisfireThreshold = TimeSpan.FromMinutes(1);

    private const int MaxWalk = 10_000;

    private readonly CronExpression _expression;
    private readonly TimeZoneInfo _zone;

    private CronTimes(CronExpression expression, TimeZoneInfo zone)
    {
        _expression = expression;
        _zone = zone;
    }

    /// <summary>Parses <paramref name="cron"/> (five fields, or six with seconds first) in <paramref name="timeZone"/>; throws a validation error naming the field.</summary>
    public static CronTimes Parse(string? cron, string? timeZone)
    {
        if (string.IsNullOrWhiteSpace(cron)) throw new OrchestrationValidationException("cron is required", "cron");
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw new OrchestrationValidationException($"cron '{cron}' is not a valid cron expression (five fields, or six with seconds first): {ex.Message}", "cron");
        }

        return new CronTimes(expression, Zone(timeZone));
    }

    /// <summary>The IANA time zone, or a validation error naming it.</summary>
    public static TimeZoneInfo Zone(string? timeZone)
    {
        if (string.IsNullOrWhiteSpace(timeZone)) throw new OrchestrationValidationException("time_zone is required", "time_zone");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone) || !zone.HasIanaId)
            throw new OrchestrationValidationException($"time_zone '{timeZone}' is not a known IANA time zone", "time_zone");
        return zone;
    }

    /// <summary>The first fire time strictly after <paramref name="after"/>; null when there is none.</summary>
    // In UTC: Cronos answers in the zone's offset, and stores keep instants (Postgres refuses other offsets).
    public DateTimeOffset? NextAfter(DateTimeOffset after) => _expression.GetNextOccurrence(after, _zone, inclusive: false)?.ToUniversalTime();

    /// <summary>
    /// The fire times to fire now for a schedule whose next unfired time is <paramref name="nextFireAt"/> (at or before
    /// <paramref name="now"/>), under its misfire policy, and the next fire time after them. Times within
    /// <see cref="MisfireThreshold"/> of now are on time and always fire; older ones were missed: Skip fires none of
    /// them, RunOnce fires one for all of them (the latest), CatchUp fires the latest <paramref name="catchUpLimit"/>.
    /// </summary>
    public (List<DateTimeOffset> Fire, DateTimeOffset? Next) Due(DateTimeOffset nextFireAt, DateTimeOffset now, MisfirePolicy policy, int catchUpLimit)
    {
        var onTime = new List<DateTimeOffset>();
        var missed = new Queue<DateTimeOffset>();
        DateTimeOffset? latestMissed = null;
        var missedCount = 0;
        var keep = policy == MisfirePolicy.CatchUp ? Math.Max(1, catchUpLimit) : 1;
        DateTimeOffset? at = nextFireAt;
        while (at is { } t && t <= now)
        {
            if (now - t <= MisfireThreshold) onTime.Add(t);
            else
            {
                missedCount++;
                latestMissed = t;
                missed.Enqueue(t);
                if (missed.Count > keep) missed.Dequeue();
            }

            at = NextAfter(t);
            // A frequent expression after a long downtime: the times before the last day of it change nothing a policy
            // keeps (Skip keeps none, RunOnce the latest, CatchUp the latest few), so they are not walked one by one.
            if (missedCount == MaxWalk && at is { } n && n < now - TimeSpan.FromDays(1)) at = NextAfter(now - TimeSpan.FromDays(1));
        }

        var fire = new List<DateTimeOffset>();
        if (missedCount > 0)
        {
            switch (policy)
            {
                case MisfirePolicy.RunOnce when onTime.Count == 0:
                    fire.Add(latestMissed!.Value);
                    break;
                case MisfirePolicy.CatchUp:
                    fire.AddRange(missed);
                    break;
            }
        }

        fire.AddRange(onTime);
        return (fire, at);
    }
}
