using Orchestration.Http.Foreman.Contracts;
using Orchestration.Storage;

namespace Orchestration.Http.Foreman;

/// <summary>The one place Foreman list bodies are built (runs, tasks, run data).</summary>
internal static class ForemanLists
{
    public static IResult Page<TItem, TContract>(Page<TItem> page, Func<TItem, TContract> map, int limit, int offset) =>
        ForemanJson.Ok(new ListResponse<TContract>(page.Items.Select(map).ToList(), page.Total, limit, offset));
}
