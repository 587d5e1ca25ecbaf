using Orchestration.Domain;

namespace Orchestration.Storage.Tests;

internal static class EventPaging
{
    /// <summary>
    /// Every committed event after <paramref name="from"/>, read as a consumer does: page after page from each read's
    /// watermark until it stops moving (at most 100 pages). Returns the events and the last watermark.
    /// </summary>
    public static async Task<(List<EngineEvent> Events, long Watermark)> ReadCommittedAllAsync(
        IOrchestrationQueries queries, long from, int limit, string? orgId, CancellationToken cancellationToken = default)
    {
        var read = new List<EngineEvent>();
        var watermark = from;
        for (var pages = 0; pages < 100; pages++)
        {
            var batch = await queries.ReadCommittedEventsAsync(watermark, limit, orgId, cancellationToken);
            read.AddRange(batch.Events);
            if (batch.Watermark == watermark) break;
            watermark = batch.Watermark;
        }

        return (read, watermark);
    }
}
