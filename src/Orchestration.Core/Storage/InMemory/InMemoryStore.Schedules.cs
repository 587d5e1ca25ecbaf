using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Cron schedules and their fire records, under the one lock.
public sealed partial class InMemoryStore : IScheduleStore
{
    private readonly Dictionary<(string Org, string Family, string Name), Schedule> _schedules = [];
    private readonly HashSet<(Guid Schedule, DateTimeOffset FireAt)> _fires = [];

    /// <inheritdoc />
    public Task<Schedule> UpsertScheduleAsync(UpsertScheduleParams parameters, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var key = (parameters.OrgId, parameters.Family, parameters.Name);
            _schedules.TryGetValue(key, out var existing);
            var schedule = new Schedule
            {
                Id = existing?.Id ?? parameters.Id,
                OrgId = parameters.OrgId,
                Family = parameters.Family,
                Name = parameters.Name,
                Cron = parameters.Cron,
                TimeZone = parameters.TimeZone,
                Misfire = parameters.Misfire,
                CatchUpLimit = parameters.CatchUpLimit,
                Paused = parameters.Paused,
                RunSpecJson = parameters.RunSpecJson,
                NextFireAt = parameters.NextFireAt,
                LastFiredAt = existing?.LastFiredAt,
                CreatedAt = existing?.CreatedAt ?? parameters.Now,
                UpdatedAt = parameters.Now,
            };
            _schedules[key] = schedule;
            return Task.FromResult(schedule);
        }
    }

    /// <inheritdoc />
    public Task<Schedule?> GetScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_schedules.GetValueOrDefault((orgId, family, name)));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Schedule>> ListSchedulesAsync(string orgId, string? family, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<Schedule> list = _schedules.Values
                .Where(s => s.OrgId == orgId && (family is null || s.Family == family))
                .OrderBy(s => s.Family, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_schedules.Remove((orgId, family, name), out var removed)) return Task.FromResult(false);
            _fires.RemoveWhere(f => f.Schedule == removed.Id);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<Schedule?> SetSchedulePausedAsync(string orgId, string family, string name, bool paused, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var key = (orgId, family, name);
            if (!_schedules.TryGetValue(key, out var schedule)) return Task.FromResult<Schedule?>(null);
            schedule = schedule with { Paused = paused, UpdatedAt = now };
            _schedules[key] = schedule;
            return Task.FromResult<Schedule?>(schedule);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Schedule>> GetDueSchedulesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<Schedule> due = _schedules.Values.Where(s => !s.Paused && s.NextFireAt <= now)
                .OrderBy(s => s.NextFireAt).ThenBy(s => s.Id).Take(max).ToList();
            return Task.FromResult(due);
        }
    }

    /// <inheritdoc />
    public Task<DateTimeOffset?> NextScheduleFireAtAsync(CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_schedules.Values.Where(s => !s.Paused && s.NextFireAt is not null).Min(s => s.NextFireAt));
    }

    /// <inheritdoc />
    public Task<FireScheduleResult> FireScheduleAsync(FireScheduleParams parameters, CancellationToken cancellationToken)
    {
        // The store's lock is re-entrant: the runs are created inside the same critical section as the fence and records.
        lock (_gate)
        {
            var entry = _schedules.FirstOrDefault(kv => kv.Value.Id == parameters.ScheduleId);
            var schedule = entry.Value;
            if (schedule is null || schedule.Paused || schedule.NextFireAt != parameters.ExpectedNextFireAt)
                return Task.FromResult(new FireScheduleResult(false, []));

            var fired = new List<(DateTimeOffset, Guid)>();
            var toCreate = new List<CreateRunParams>();
            foreach (var fire in parameters.Fires)
            {
                if (!_fires.Add((schedule.Id, fire.FireAt))) continue;
                toCreate.Add(fire.Run);
                fired.Add((fire.FireAt, fire.Run.RunId));
            }

            // Synchronous under the lock (the in-memory create completes before it returns).
            if (toCreate.Count > 0) CreateRunsAsync(toCreate, cancellationToken).GetAwaiter().GetResult();
            _schedules[entry.Key] = schedule with
            {
                NextFireAt = parameters.NextFireAt,
                LastFiredAt = fired.Count > 0 ? fired.Max(f => f.Item1) : schedule.LastFiredAt,
                UpdatedAt = parameters.Now,
            };
            return Task.FromResult(new FireScheduleResult(true, fired));
        }
    }
}
