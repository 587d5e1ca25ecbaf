using Orchestration.Http.Foreman.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Storage;

namespace Orchestration.Http.Foreman;

/// <summary>The one place Foreman list bodies are built (runs, tasks, run data).</summary>
internal static class ForemanLists
{
    public static IResult Page<TItem, TContract>(Page<TItem> page, Func<TItem, TContract> map, int limit, int offset) =>
        ForemanJson.Ok(new ListResponse<TContract>(page.Items.Select(map).ToList(), page.Total, limit, offset));

    /// <summary>
    /// A page kept within the list byte budget (<see cref="LimitOptions.MaxListResponseBytes"/>): items are mapped while
    /// their <paramref name="cost"/> fits. A page cut short by the budget (in the store while reading, or here) reports
    /// the number of items it holds as its <c>limit</c> in both envelopes, so <c>offset + limit</c> is the next page.
    /// </summary>
    public static IResult Page<TItem, TContract>(Page<TItem> page, LimitOptions limits, Func<TItem, long> cost, Func<TItem, TContract> map, int limit, int offset)
    {
        var items = limits.WithinBudget(page.Items, cost, map);
        var applied = items.Count < limit && offset + items.Count < page.Total ? items.Count : limit;
        return ForemanJson.Ok(new ListResponse<TContract>(items, page.Total, applied, offset));
    }
}
