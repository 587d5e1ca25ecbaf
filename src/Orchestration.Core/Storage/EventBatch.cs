using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>A commit-safe read of events (<see cref="IOrchestrationQueries.ReadCommittedEventsAsync"/>).</summary>
/// <param name="Events">The events read, in sequence order, at most the limit asked for.</param>
/// <param name="Watermark">
/// Where the next read resumes: every event up to it that matches the read's filter is in <paramref name="Events"/>
/// (or was before the read's start), and none up to it can still commit. At least the read's start; beyond the last
/// event when other orgs' events or gaps that can no longer fill were passed over.
/// </param>
public sealed record EventBatch(IReadOnlyList<EngineEvent> Events, long Watermark)
{
    /// <summary>
    /// The commit-safe read of a store whose events become visible in sequence order (one writer at a time, or a lock
    /// around the write), built on its <see cref="IOrchestrationQueries.ReadEventsAsync"/>: all orgs are read, so the
    /// watermark moves past other orgs' events, and filtered here.
    /// </summary>
    public static async Task<EventBatch> ReadInOrderAsync(IOrchestrationQueries queries, long afterSequence, int limit, string? orgId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queries);
        limit = Math.Max(0, limit);
        var all = await queries.ReadEventsAsync(afterSequence, limit, null, cancellationToken);
        if (orgId is null) return new EventBatch(all, all.Count > 0 ? all[^1].Sequence : afterSequence);
        var matching = all.Where(e => string.Equals(e.OrgId, orgId, StringComparison.Ordinal)).ToList();
        return new EventBatch(matching, all.Count > 0 ? all[^1].Sequence : afterSequence);
    }
}
