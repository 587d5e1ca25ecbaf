namespace Orchestration.Storage;

/// <summary>
/// Remote executors seen by any host sharing the store: when each last called, how many jobs it completed, what it
/// serves. Kept by the same back end as the runs, so the admin views survive restarts and agree across hosts. What
/// an executor currently holds is not kept here: it is read from the running tasks, the truth after reaping.
/// </summary>
public interface IExecutorRegistry
{
    /// <summary>
    /// Records executor calls in one atomic write. Per (org, executor): <c>last_seen</c> becomes the later of the stored
    /// and the given time, <see cref="ExecutorActivity.Completed"/> is added to the counter, types and capacity replace
    /// the stored ones when given. An executor not yet registered is added only while its org has fewer than
    /// <paramref name="maxPerOrg"/> executors (a soft cap under concurrent writers). Returns how many items applied.
    /// </summary>
    Task<int> RecordExecutorActivityAsync(IReadOnlyList<ExecutorActivity> activity, int maxPerOrg, CancellationToken cancellationToken);

    /// <summary>The registered executors of one org, ordered by executor id.</summary>
    Task<IReadOnlyList<ExecutorRecord>> ListExecutorsAsync(string orgId, CancellationToken cancellationToken);

    /// <summary>Drops executors (of every org) last seen before <paramref name="cutoff"/>; returns how many.</summary>
    Task<int> RemoveExecutorsSeenBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);
}

/// <summary>Calls of one executor since the last write.</summary>
/// <param name="OrgId">The executor's org (of the key it calls with).</param>
/// <param name="ExecutorId">As the executor names itself.</param>
/// <param name="SeenAt">Time of its latest call.</param>
/// <param name="Completed">Jobs or tasks it completed since the last write.</param>
/// <param name="Types">Task types it claims, when it said (generic protocol).</param>
/// <param name="Capacity">Tasks it claims at once, when it said.</param>
public sealed record ExecutorActivity(string OrgId, string ExecutorId, DateTimeOffset SeenAt, long Completed = 0, IReadOnlyList<string>? Types = null, int? Capacity = null);

/// <summary>One registered executor.</summary>
/// <param name="OrgId">Its org.</param>
/// <param name="ExecutorId">Its id.</param>
/// <param name="LastSeen">Time of its latest recorded call.</param>
/// <param name="JobsCompleted">Jobs or tasks it completed.</param>
/// <param name="Types">Task types it last declared, or null.</param>
/// <param name="Capacity">Capacity it last declared, or null.</param>
public sealed record ExecutorRecord(string OrgId, string ExecutorId, DateTimeOffset LastSeen, long JobsCompleted, IReadOnlyList<string>? Types, int? Capacity);
