using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// Stands in when the registered store keeps no schedules (a store decorated by the host, a third-party store): the
/// leader's firing loop finds nothing due, and creating a schedule fails naming the cause instead of the host failing
/// to start.
/// </summary>
internal sealed class NoScheduleStore : IScheduleStore
{
    private const string Message = "Orchestration: the configured store keeps no schedules (it does not implement IScheduleStore).";

    public Task<Schedule> UpsertScheduleAsync(UpsertScheduleParams parameters, CancellationToken cancellationToken) => throw new InvalidOperationException(Message);

    public Task<Schedule?> GetScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken) => Task.FromResult<Schedule?>(null);

    public Task<IReadOnlyList<Schedule>> ListSchedulesAsync(string orgId, string? family, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<Schedule>>([]);

    public Task<bool> DeleteScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken) => Task.FromResult(false);

    public Task<Schedule?> SetSchedulePausedAsync(string orgId, string family, string name, bool paused, DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.FromResult<Schedule?>(null);

    public Task<IReadOnlyList<Schedule>> GetDueSchedulesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<Schedule>>([]);

    public Task<DateTimeOffset?> NextScheduleFireAtAsync(CancellationToken cancellationToken) => Task.FromResult<DateTimeOffset?>(null);

    public Task<FireScheduleResult> FireScheduleAsync(FireScheduleParams parameters, CancellationToken cancellationToken) => throw new InvalidOperationException(Message);
}
