using System.Diagnostics;
using System.Globalization;

namespace Orchestration.Benchmarks.JobQueue;

/// <summary>
/// N remote executors in this process, each looping claim → complete over HTTP exactly as executr's executor does
/// with a job that exits at once (no heartbeat falls due, nothing is downloaded): one call at a time per executor, each
/// on its own <see cref="JobQueueClient"/>. The same clients also run the authenticated-GET floor.
/// </summary>
internal sealed class HttpExecutors : IDisposable
{
    private readonly JobQueueClient[] _clients;
    private readonly byte[][] _claimBodies;
    private readonly byte[][] _completeBodies;

    public HttpExecutors(Uri baseAddress, string apiKey, int count)
    {
        _clients = new JobQueueClient[count];
        _claimBodies = new byte[count][];
        _completeBodies = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            // executr's ids: a name plus 8 hex digits; its "ip" is the host name.
            var id = string.Create(CultureInfo.InvariantCulture, $"bench-{i}-{Random.Shared.Next():x8}");
            _clients[i] = new JobQueueClient(baseAddress, apiKey);
            _claimBodies[i] = JobQueueClient.ClaimBody(id, "bench-host");
            _completeBodies[i] = JobQueueClient.CompleteBody(id);
        }
    }

    public int Count => _clients.Length;

    /// <summary>One drain: the clock, the completions and every call's latency.</summary>
    public sealed record Drain(int Completed, TimeSpan Elapsed, List<double> ClaimMs, List<double> CompleteMs, long EmptyClaims, Guid? LastJob);

    /// <summary>
    /// Claims and completes until <paramref name="jobs"/> jobs have been claimed or <paramref name="deadline"/> (a
    /// <see cref="Stopwatch"/> timestamp) passes. The clock runs from the first claim to the last completion. A claim
    /// answered 204 before every job was claimed (another executor holds the rest for a moment) is retried after 1 ms
    /// and counted as empty, not as a claim sample.
    /// </summary>
    public async Task<Drain> DrainAsync(int jobs, long deadline, CancellationToken cancellationToken)
    {
        var claimed = 0;
        long empty = 0, lastEnd = 0;
        Guid? lastJob = null;
        var claimMs = new List<double>[_clients.Length];
        var completeMs = new List<double>[_clients.Length];
        var completed = 0;
        var gate = new Lock();
        var start = Stopwatch.GetTimestamp();

        async Task ExecutorAsync(int e)
        {
            var client = _clients[e];
            var (claims, completes) = (claimMs[e] = new List<double>(), completeMs[e] = new List<double>());
            while (Volatile.Read(ref claimed) < jobs && Stopwatch.GetTimestamp() < deadline)
            {
                var t0 = Stopwatch.GetTimestamp();
                var id = await client.ClaimAsync(_claimBodies[e], cancellationToken);
                var t1 = Stopwatch.GetTimestamp();
                if (id is not { } job)
                {
                    Interlocked.Increment(ref empty);
                    await Task.Delay(1, cancellationToken);
                    continue;
                }

                Interlocked.Increment(ref claimed);
                claims.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                await client.CompleteAsync(job, _completeBodies[e], cancellationToken);
                var t2 = Stopwatch.GetTimestamp();
                completes.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                Interlocked.Increment(ref completed);
                lock (gate)
                {
                    if (t2 > lastEnd) (lastEnd, lastJob) = (t2, job);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, _clients.Length).Select(e => Task.Run(() => ExecutorAsync(e), cancellationToken)));
        return new Drain(completed, Stopwatch.GetElapsedTime(start, lastEnd == 0 ? Stopwatch.GetTimestamp() : lastEnd),
            claimMs.SelectMany(l => l).ToList(), completeMs.SelectMany(l => l).ToList(), empty, lastJob);
    }

    /// <summary>Every executor's client loops <c>GET /api/v1/jobs/{id}</c> for <paramref name="duration"/>: requests per second.</summary>
    public async Task<(long Requests, TimeSpan Elapsed)> GetFloorAsync(Guid job, TimeSpan duration, CancellationToken cancellationToken)
    {
        long requests = 0;
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(_clients.Select(client => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                await client.GetJobAsync(job, cancellationToken);
                Interlocked.Increment(ref requests);
            }
        }, cancellationToken)));
        return (requests, Stopwatch.GetElapsedTime(start));
    }

    public void Dispose()
    {
        foreach (var client in _clients) client.Dispose();
    }
}
