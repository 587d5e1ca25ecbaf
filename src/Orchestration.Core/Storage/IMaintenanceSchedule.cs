namespace Orchestration.Storage;

/// <summary>
/// Optional for a store whose every read costs a database transaction: tells the maintenance loop when its next pass is
/// due, so an idle leader sleeps until the earliest lease expiry or run deadline instead of polling on a timer.
/// </summary>
public interface IMaintenanceSchedule
{
    /// <summary>
    /// How long until the earliest lease of a running task expires or the earliest deadline of an unfinished run passes
    /// (zero when one already has), by the store's clock; null when no task is running and no unfinished run has a deadline.
    /// </summary>
    Task<TimeSpan?> NextMaintenanceDueAsync(CancellationToken cancellationToken);
}
