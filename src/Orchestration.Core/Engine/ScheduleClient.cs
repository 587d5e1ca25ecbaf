using System.Text.Json;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Engine;

/// <summary>The schedule API over the store; validates every spec and wakes the leader's firing loop on each change.</summary>
internal sealed class ScheduleClient(IScheduleStore store, IStoreBackedClient runs, ScheduleSignal signal, TimeProvider time) : IScheduleClient
{
    internal const int MaxNameLength = 200;
    internal const int MaxCatchUpLimit = 1000;

    public async Task<Schedule> UpsertScheduleAsync(ScheduleSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrEmpty(spec.OrgId)) throw new OrchestrationValidationException("org id is required", "org_id");
        if (string.IsNullOrWhiteSpace(spec.Family)) throw new OrchestrationValidationException("family is required", "family");
        if (string.IsNullOrWhiteSpace(spec.Name)) throw new OrchestrationValidationException("name is required", "name");
        if (spec.Name.Length > MaxNameLength) throw new OrchestrationValidationException($"name must be at most {MaxNameLength} characters", "name");
        if (spec.CatchUpLimit is < 1 or > MaxCatchUpLimit)
            throw new OrchestrationValidationException($"catch_up_limit must be between 1 and {MaxCatchUpLimit}", "catch_up_limit");
        if (!Enum.IsDefined(spec.Misfire)) throw new OrchestrationValidationException("misfire must be run_once, skip or catch_up", "misfire");
        var times = CronTimes.Parse(spec.Cron, spec.TimeZone);

        string? runJson = null;
        if (spec.Run is { } run)
        {
            var bound = run with { OrgId = spec.OrgId, Family = spec.Family, IdempotencyKey = null, ScheduledAt = null };
            runs.PrepareRuns([bound]); // validates the graph now rather than at every fire time
            runJson = JsonSerializer.Serialize(bound, JsonDefaults.Options);
        }

        var now = time.GetUtcNow();
        var schedule = await store.UpsertScheduleAsync(new UpsertScheduleParams
        {
            Id = GuidGenerator.NewVersion7(),
            OrgId = spec.OrgId,
            Family = spec.Family,
            Name = spec.Name,
            Cron = spec.Cron.Trim(),
            TimeZone = spec.TimeZone,
            Misfire = spec.Misfire,
            CatchUpLimit = spec.CatchUpLimit,
            Paused = spec.Paused,
            RunSpecJson = runJson,
            NextFireAt = times.NextAfter(now),
            Now = now,
        }, cancellationToken);
        signal.Notify();
        return schedule;
    }

    public Task<Schedule?> GetScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken = default) =>
        store.GetScheduleAsync(orgId, family, name, cancellationToken);

    public Task<IReadOnlyList<Schedule>> ListSchedulesAsync(string orgId, string? family = null, CancellationToken cancellationToken = default) =>
        store.ListSchedulesAsync(orgId, family, cancellationToken);

    public async Task<bool> DeleteScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken = default)
    {
        var deleted = await store.DeleteScheduleAsync(orgId, family, name, cancellationToken);
        if (deleted) signal.Notify();
        return deleted;
    }

    public Task<Schedule?> PauseScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken = default) =>
        SetPausedAsync(orgId, family, name, true, cancellationToken);

    public Task<Schedule?> ResumeScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken = default) =>
        SetPausedAsync(orgId, family, name, false, cancellationToken);

    private async Task<Schedule?> SetPausedAsync(string orgId, string family, string name, bool paused, CancellationToken cancellationToken)
    {
        var schedule = await store.SetSchedulePausedAsync(orgId, family, name, paused, time.GetUtcNow(), cancellationToken);
        if (schedule is not null) signal.Notify();
        return schedule;
    }
}

/// <summary>Wakes the leader's firing loop when a schedule changed in this process (other hosts' changes: its idle wake-up).</summary>
internal sealed class ScheduleSignal
{
    public WorkSignal Changed { get; } = new();

    public void Notify() => Changed.Notify();
}
