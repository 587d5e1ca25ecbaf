using System.Diagnostics;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.JobQueue;
using Orchestration.Benchmarks.Reporting;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>
/// Scenario 8: the job queue API's executor path as its users drive it. The sample host runs in a process of its own
/// on a fresh store; N executors in this process loop claim → complete over HTTP on 127.0.0.1, first in rounds at a
/// small backlog (20 pending), then on a large one (20,000 submitted through the bulk endpoint), and the same N
/// clients measure the floor: an authenticated <c>GET /api/v1/jobs/{id}</c> loop. Two requests per job, so the path
/// is held against half the floor; the claim p50 at the large backlog against the small one says whether claiming
/// gets slower as the queue grows.
/// </summary>
internal sealed class HttpExecutorScenario : IScenario
{
    public const string ScenarioName = "http";

    /// <summary>Claim p50 at the large backlog ÷ at the small one up to which claiming counts as flat in the backlog.</summary>
    public const double FlatClaimGrowth = 1.5;

    private const int BulkChunk = 1_000;
    private const int WarmupJobs = 200;
    private static readonly string[] KeyPermissions = ["jobs:submit", "jobs:read", "jobs:execute"];

    public string Name => ScenarioName;

    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        foreach (var store in context.Settings.Stores)
            await ScenarioSteps.TryAsync(context, Name, Systems.Ours, store, () => MeasureAsync(context, store, cancellationToken));
    }

    private static async Task MeasureAsync(BenchContext context, string store, CancellationToken cancellationToken)
    {
        StoreRegistrations.EnsureAvailable(store);
        var s = context.Settings;
        var small = Math.Min(s.HttpSmallBacklog, s.HttpBacklog);
        // The in-memory store lives inside the host process; only the database stores get a fresh file or database here.
        await using var fresh = store == StoreKinds.InMemory ? null : await FreshStore.CreateAsync(store, "http", context, cancellationToken);
        await using var host = await SampleHostProcess.StartAsync(context, store, fresh?.ConnectionString, cancellationToken);
        context.Info($"{ScenarioName}: sample host {host.Id} on {store} listening at {host.BaseAddress}");
        var key = await ProvisionKeyAsync(host, cancellationToken);
        using var submitter = new JobQueueClient(host.BaseAddress, key);
        using var executors = new HttpExecutors(host.BaseAddress, key, s.HttpExecutors);

        if (!s.SkipWarmup)
        {
            var warm = Math.Min(WarmupJobs, s.HttpBacklog);
            await SubmitAsync(submitter, warm, cancellationToken);
            var warmup = await executors.DrainAsync(warm, Deadline(s.HttpBudget), cancellationToken);
            if (warmup.LastJob is { } warmJob) await executors.GetFloorAsync(warmJob, TimeSpan.FromSeconds(1), cancellationToken);
        }

        // Small backlog first: a budget-cut large drain leaves jobs pending that would swell the small one.
        var rounds = 0;
        var smallDrains = new List<HttpExecutors.Drain>();
        var smallDeadline = Deadline(s.HttpBudget);
        for (var done = 0; done < s.HttpSmallJobs && Stopwatch.GetTimestamp() < smallDeadline; done += small, rounds++)
        {
            await SubmitAsync(submitter, small, cancellationToken);
            smallDrains.Add(await executors.DrainAsync(small, smallDeadline, cancellationToken));
        }

        var smallDrain = new HttpExecutors.Drain(
            smallDrains.Sum(d => d.Completed),
            TimeSpan.FromTicks(smallDrains.Sum(d => d.Elapsed.Ticks)),
            smallDrains.SelectMany(d => d.ClaimMs).ToList(),
            smallDrains.SelectMany(d => d.CompleteMs).ToList(),
            smallDrains.Sum(d => d.EmptyClaims),
            smallDrains.LastOrDefault(d => d.LastJob is not null)?.LastJob);
        var target = smallDrain.LastJob ?? throw new InvalidOperationException("no job completed at the small backlog");

        var (requests, floorElapsed) = await executors.GetFloorAsync(target, s.HttpFloorDuration, cancellationToken);
        var floor = requests / floorElapsed.TotalSeconds;

        var submitStart = Stopwatch.GetTimestamp();
        await SubmitAsync(submitter, s.HttpBacklog, cancellationToken);
        var submitElapsed = Stopwatch.GetElapsedTime(submitStart);
        var largeDrain = await executors.DrainAsync(s.HttpBacklog, Deadline(s.HttpBudget), cancellationToken);

        var n = executors.Count;
        context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.Submit, s.HttpBacklog / submitElapsed.TotalSeconds, Units.JobsPerSecond, s.HttpBacklog,
            $"POST /api/v1/jobs/bulk, {BulkChunk:N0} jobs per call, one client"));
        Record(context, store, small, rounds * small, smallDrain, n, $"{rounds} rounds: submit {small}, drain them (pending {small} → 0 in each round)");
        context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.GetFloor, floor, Units.RequestsPerSecond, requests,
            $"GET /api/v1/jobs/{{id}} of a completed job, authenticated, from the same {n} clients for {floorElapsed.TotalSeconds:F1} s"));
        Record(context, store, s.HttpBacklog, s.HttpBacklog, largeDrain, n, $"{s.HttpBacklog:N0} submitted, then drained");

        var largeRate = largeDrain.Completed / largeDrain.Elapsed.TotalSeconds;
        context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.FractionOfFloor, largeRate / (floor / 2) * 100, Units.Fraction, largeDrain.Completed,
            $"{largeRate:F0} jobs/s at backlog {s.HttpBacklog:N0} ÷ ({floor:F0} GET/s ÷ 2): two requests per job"));
        var smallP50 = P(smallDrain.ClaimMs, 0.50);
        var largeP50 = P(largeDrain.ClaimMs, 0.50);
        context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.ClaimGrowth, largeP50 / smallP50, Units.Ratio, largeDrain.ClaimMs.Count,
            $"claim p50 {largeP50:F2} ms at backlog {s.HttpBacklog:N0} ÷ {smallP50:F2} ms at backlog {small}; flat = ≤ {FlatClaimGrowth}×"));
    }

    private static void Record(BenchContext context, string store, int backlog, int submitted, HttpExecutors.Drain drain, int executors, string how)
    {
        if (drain.Completed == 0) throw new InvalidOperationException($"no job completed at backlog {backlog}");
        var budget = drain.Completed < submitted
            ? $"{drain.Completed:N0} of {submitted:N0} jobs when the {context.Settings.HttpBudget.TotalSeconds:F0} s budget ran out"
            : $"all {submitted:N0} jobs";
        context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.AtBacklog(Metrics.Drain, backlog), drain.Completed / drain.Elapsed.TotalSeconds, Units.JobsPerSecond, drain.Completed,
            $"{executors} HTTP executors looping claim → complete; {how}; {budget}; {drain.EmptyClaims} claims answered 204 meanwhile"));
        foreach (var (metric, q) in new[] { (Metrics.P50, 0.50), (Metrics.P95, 0.95), (Metrics.P99, 0.99) })
            context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.AtBacklog("claim " + metric, backlog), P(drain.ClaimMs, q), Units.Milliseconds, drain.ClaimMs.Count,
                "POST /api/v1/jobs/claim answered 200, request sent → job read"));
        foreach (var (metric, q) in new[] { (Metrics.P50, 0.50), (Metrics.P99, 0.99) })
            context.Add(new Figure(ScenarioName, Systems.Ours, store, Metrics.AtBacklog("complete " + metric, backlog), P(drain.CompleteMs, q), Units.Milliseconds, drain.CompleteMs.Count,
                "PUT /api/v1/jobs/{id}/complete answered 204"));
    }

    private static double P(List<double> samples, double q)
    {
        var sorted = samples.Order().ToList();
        return Percentiles.Of(sorted, q);
    }

    private static long Deadline(TimeSpan budget) => Stopwatch.GetTimestamp() + (long)(budget.TotalSeconds * Stopwatch.Frequency);

    private static async Task SubmitAsync(JobQueueClient client, int jobs, CancellationToken cancellationToken)
    {
        byte[]? full = null;
        for (var left = jobs; left > 0; left -= BulkChunk)
        {
            var body = left >= BulkChunk ? full ??= JobQueueClient.BulkBody(BulkChunk) : JobQueueClient.BulkBody(left);
            await client.SubmitBulkAsync(body, cancellationToken);
        }
    }

    /// <summary>
    /// The documented way to a working key on a fresh host: the bootstrap key (a system key) creates an org key for the
    /// executors and the submitter, with a per-key limit high enough that the GET floor is not the limiter's.
    /// </summary>
    private static async Task<string> ProvisionKeyAsync(SampleHostProcess host, CancellationToken cancellationToken)
    {
        using var admin = new JobQueueClient(host.BaseAddress, host.BootstrapKey);
        var deadline = Stopwatch.StartNew();
        while (!await admin.HealthyAsync(cancellationToken))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("the sample host's health endpoint did not answer 200 within 60 s");
            await Task.Delay(100, cancellationToken);
        }

        return await admin.CreateApiKeyAsync("bench-http-executors", KeyPermissions, 1_000_000, cancellationToken);
    }
}
