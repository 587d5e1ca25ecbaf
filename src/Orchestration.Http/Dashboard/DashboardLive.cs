using System.Globalization;
using Microsoft.Extensions.Options;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// The dashboard's live updates: a server-sent event stream of the caller's org's engine events, reduced to "something
/// changed" (with the run page, only its run's events), after which the page re-fetches its fragment. The events say
/// nothing the fragment does not, and a browser never sees another family's run ids.
/// </summary>
internal static class DashboardLive
{
    public static async Task StreamAsync(DashboardView view, IOrchestrationClient client, EventHead head, TimeProvider time, IOptions<OrchestrationHttpOptions> options, Guid? runId)
    {
        var context = view.Context;
        var ct = context.RequestAborted;
        if (runId is { } id) await RunPage.FindAsync(view, client, id);
        var settings = options.Value.Events;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        // Only what happens from now on matters: the page was rendered a moment ago.
        var cursor = await head.CurrentAsync(client.Queries, ct);
        var started = time.GetUtcNow();
        var lastWrite = started;
        await context.Response.WriteAsync($"retry: {settings.RetryMilliseconds.ToString(CultureInfo.InvariantCulture)}\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
        try
        {
            while (!ct.IsCancellationRequested && time.GetUtcNow() - started < TimeSpan.FromSeconds(settings.MaxStreamSeconds))
            {
                var batch = await client.Queries.ReadCommittedEventsAsync(cursor, 500, view.Caller.OrgId, ct);
                var relevant = batch.Events.Where(e => runId is null || e.RunId == runId).ToList();
                if (relevant.Count > 0)
                {
                    await context.Response.WriteAsync($"event: changed\ndata: {relevant[^1].Sequence.ToString(CultureInfo.InvariantCulture)}\n\n", ct);
                    await context.Response.Body.FlushAsync(ct);
                    lastWrite = time.GetUtcNow();
                }

                cursor = batch.Watermark;
                head.Observe(cursor);
                if (batch.Events.Count == 500) continue;
                if (time.GetUtcNow() - lastWrite >= TimeSpan.FromSeconds(settings.KeepAliveSeconds))
                {
                    await context.Response.WriteAsync(": keep-alive\n\n", ct);
                    await context.Response.Body.FlushAsync(ct);
                    lastWrite = time.GetUtcNow();
                }

                await Task.Delay(TimeSpan.FromMilliseconds(settings.PollMilliseconds), time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page went away: the normal end of a stream.
        }
    }
}

/// <summary>
/// The newest event sequence, so a live stream starts at "now" without reading the whole event log. The store has no
/// such query; the read "events after x" answers whether anything lies beyond x, so the head is found by galloping
/// forward from the last known head and bisecting: a few dozen indexed reads the first time, usually one after that.
/// </summary>
internal sealed class EventHead
{
    private long _known;

    public void Observe(long sequence)
    {
        long seen;
        while (sequence > (seen = Interlocked.Read(ref _known)) && Interlocked.CompareExchange(ref _known, sequence, seen) != seen)
        {
        }
    }

    public async Task<long> CurrentAsync(IOrchestrationQueries queries, CancellationToken cancellationToken)
    {
        async Task<long?> After(long x) => (await queries.ReadEventsAsync(x, 1, null, cancellationToken)) is { Count: > 0 } e ? e[0].Sequence : null;

        var low = Interlocked.Read(ref _known);
        if (await After(low) is not { } first) return low;
        low = first;
        // Gallop: double the step until nothing lies beyond low + step.
        long step = 1024, high;
        while (true)
        {
            high = low > long.MaxValue - step ? long.MaxValue : low + step;
            if (await After(high) is not { } beyond) break;
            low = beyond;
            if (step < long.MaxValue / 2) step *= 2;
        }

        // Bisect: an event exists at low, none after high.
        for (var i = 0; i < 128 && low < high; i++)
        {
            var mid = low + (high - low + 1) / 2;
            if (await After(mid - 1) is { } found && found <= high) low = found;
            else high = mid - 1;
        }

        Observe(low);
        return low;
    }
}
