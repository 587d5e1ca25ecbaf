using Orchestration.Benchmarks.Engine;
using Orchestration.Execution;

namespace Orchestration.Benchmarks;

/// <summary>What to run and how big. Defaults are the sizes the issue names; <c>--count</c> shrinks or grows them.</summary>
public sealed record BenchSettings
{
    public const string DefaultScenario = "all";

    /// <summary>Scenario names in run order.</summary>
    public static IReadOnlyList<string> AllScenarios { get; } = ["throughput", "dag", "latency", "hangfire", "limit", "scale", "memory", "http", "heldback", "noisy"];

    public IReadOnlyList<string> Scenarios { get; init; } = AllScenarios;
    public IReadOnlyList<string> Stores { get; init; } = StoreKinds.All;

    /// <summary>Tasks of the throughput drains (ours and the competitors' in-memory runs). Default 100,000.</summary>
    public int ThroughputTasks { get; init; } = 100_000;

    /// <summary>Runs of the 20-task DAG. Default 1,000 (20,000 tasks).</summary>
    public int DagRuns { get; init; } = 1_000;

    /// <summary>Tasks of the DAG: one root, this many minus two in parallel, one join.</summary>
    public int DagWidth { get; init; } = 20;

    /// <summary>Measured latency samples (after warm-up). Default 1,000.</summary>
    public int LatencySamples { get; init; } = 1_000;

    /// <summary>Rows of the raw claim+complete loop. Default 100,000.</summary>
    public int LimitRows { get; init; } = 100_000;

    /// <summary>Tasks shared by 1, 2 and 3 host processes. Default 100,000.</summary>
    public int ScaleTasks { get; init; } = 100_000;

    /// <summary>Pending tasks in the memory scenario. Default 1,000,000.</summary>
    public int MemoryPending { get; init; } = 1_000_000;

    /// <summary>
    /// Hangfire.PostgreSql drains about a hundred jobs a second with its defaults, so its run is capped to keep the
    /// whole harness within minutes; the report says how many it ran.
    /// </summary>
    public int HangfirePostgresTasks { get; init; } = 2_000;

    /// <summary>Wall-clock budget for any one competitor measurement; what completed by then is reported with its count.</summary>
    public TimeSpan CompetitorBudget { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Handlers per host, shared by every system. Default: our worker's default concurrency.</summary>
    public int Workers { get; init; } = new WorkerOptions().MaxConcurrency;

    /// <summary>Host processes of the scale scenario.</summary>
    public IReadOnlyList<int> ScaleHosts { get; init; } = [1, 2, 3];

    /// <summary>Jobs submitted before the HTTP executors drain them (the large backlog). Default 20,000.</summary>
    public int HttpBacklog { get; init; } = 20_000;

    /// <summary>The small backlog the large one's claim latency is compared with. Default 20.</summary>
    public int HttpSmallBacklog { get; init; } = 20;

    /// <summary>Jobs drained at the small backlog, in rounds of <see cref="HttpSmallBacklog"/>. Default 1,000.</summary>
    public int HttpSmallJobs { get; init; } = 1_000;

    /// <summary>HTTP executors in the harness process, one connection each. Default 8.</summary>
    public int HttpExecutors { get; init; } = 8;

    /// <summary>
    /// Wall-clock budget of each HTTP drain (the rounds of the small backlog together, then the large backlog): what
    /// completed by then is reported with its count. Default 30 s.
    /// </summary>
    public TimeSpan HttpBudget { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the executors' clients loop the authenticated GET that sets the floor. Default 10 s.</summary>
    public TimeSpan HttpFloorDuration { get; init; } = TimeSpan.FromSeconds(10);

    public string? PostgresConnection { get; init; }

    /// <summary>Where the JSON report goes; null: bench-results/results-&lt;timestamp&gt;.json under the current directory.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Skips warm-up passes (smoke tests).</summary>
    public bool SkipWarmup { get; init; }

    /// <summary>
    /// Wait after a Postgres drain before reading pg_stat_database, so the drain host's idle pooled backends have
    /// published their last counters (PostgreSQL 15 does within 10 s). Default 11 s; smoke tests shorten it.
    /// </summary>
    public TimeSpan StatsSettle { get; init; } = TimeSpan.FromSeconds(11);

    /// <summary>How long an idle host's transactions are counted after a Postgres drain. Default 10 s.</summary>
    public TimeSpan IdleWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Applies <c>--count N</c>: every scenario's main size becomes N (the DAG keeps N tasks in total).</summary>
    public BenchSettings WithCount(int n) => this with
    {
        ThroughputTasks = n,
        DagRuns = Math.Max(1, n / DagWidth),
        LatencySamples = n,
        LimitRows = n,
        ScaleTasks = n,
        MemoryPending = n,
        HangfirePostgresTasks = Math.Min(n, HangfirePostgresTasks),
        HttpBacklog = n,
        HttpSmallJobs = Math.Min(n, HttpSmallJobs),
    };
}
