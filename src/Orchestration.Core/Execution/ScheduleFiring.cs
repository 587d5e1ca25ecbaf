using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>
/// One firing pass of the leader: for each due schedule, the fire times its misfire policy keeps, a run for each (built by
/// the family's factory), written with the fire records and the next fire time by one store call, fenced by the next
/// fire time read. A second host or a repeated pass can therefore never fire a time twice.
/// </summary>
internal sealed partial class ScheduleFiring(
    IScheduleStore store,
    IStoreBackedClient runs,
    IEnumerable<IScheduledRunFactory> factories,
    TimeProvider time,
    ILogger<ScheduleFiring> logger)
{
    private const int BatchSize = 100;
    private readonly Dictionary<string, IScheduledRunFactory> _factories = factories.GroupBy(f => f.Family, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

    /// <summary>Fires what is due by the clock; returns the number of runs created.</summary>
    public async Task<int> FireDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var created = 0;
        foreach (var schedule in await store.GetDueSchedulesAsync(now, BatchSize, cancellationToken))
        {
            try
            {
                created += await FireAsync(schedule, now, cancellationToken);
            }
            catch (Exception ex) when (ex is OrchestrationValidationException or JsonException or InvalidOperationException)
            {
                // One broken schedule (a stored run that no longer validates, a factory that throws) must not stop the others.
                LogFireFailed(logger, ex, schedule.OrgId, schedule.Family, schedule.Name);
            }
        }

        return created;
    }

    private async Task<int> FireAsync(Schedule schedule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var times = CronTimes.Parse(schedule.Cron, schedule.TimeZone);
        var (due, next) = times.Due(schedule.NextFireAt!.Value, now, schedule.Misfire, schedule.CatchUpLimit);
        var fires = new List<ScheduledFire>(due.Count);
        foreach (var at in due)
        {
            var spec = await RunSpecAsync(schedule, at, cancellationToken);
            var prepared = runs.PrepareRuns([spec with { OrgId = schedule.OrgId, Family = schedule.Family }])[0];
            fires.Add(new ScheduledFire(at, prepared));
        }

        var result = await store.FireScheduleAsync(new FireScheduleParams
        {
            ScheduleId = schedule.Id,
            ExpectedNextFireAt = schedule.NextFireAt.Value,
            Fires = fires,
            NextFireAt = next,
            Now = now,
        }, cancellationToken);
        if (result.Applied && due.Count > result.Fired.Count) LogAlreadyFired(logger, schedule.Name, due.Count - result.Fired.Count);
        return result.Fired.Count;
    }

    private ValueTask<RunSpec> RunSpecAsync(Schedule schedule, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (_factories.TryGetValue(schedule.Family, out var factory)) return factory.CreateRunAsync(schedule, at, cancellationToken);
        if (schedule.RunSpecJson is null)
            throw new InvalidOperationException($"schedule '{schedule.Name}' has no stored run and family '{schedule.Family}' registers no IScheduledRunFactory");
        return ValueTask.FromResult(JsonSerializer.Deserialize<RunSpec>(schedule.RunSpecJson, JsonDefaults.Options)
            ?? throw new InvalidOperationException($"schedule '{schedule.Name}' stores an empty run"));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Firing schedule {Org}/{Family}/{Name} failed")]
    private static partial void LogFireFailed(ILogger logger, Exception ex, string org, string family, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {Name}: {Count} fire time(s) had been fired already and created no run")]
    private static partial void LogAlreadyFired(ILogger logger, string name, int count);
}
