namespace Orchestration.Benchmarks.Reporting;

public static class Systems
{
    public const string Ours = "orchestration";
    public const string Hangfire = "hangfire";
    public const string Quartz = "quartz";
    public const string RawNpgsql = "raw-npgsql";
    public const string RawSqlite = "raw-sqlite";
}

public static class Metrics
{
    public const string Enqueue = "enqueue";
    public const string Drain = "drain";
    public const string EndToEnd = "e2e";
    public const string Runs = "runs";
    public const string EnqueueCpu = "enqueue CPU";
    public const string DrainCpu = "drain CPU";
    public const string P50 = "p50";
    public const string P95 = "p95";
    public const string P99 = "p99";
    public const string Max = "max";
    public const string P50CrossProcess = "p50 cross-process";
    public const string P99CrossProcess = "p99 cross-process";
    public const string CommitsPerTask = "commits/task";
    public const string IdleCommits = "idle commits/s";
    public const string Copy = "copy";
    public const string ClaimComplete = "claim100+complete100";
    public const string FractionOfLimit = "fraction of raw limit";
    public const string PeakWorkingSet = "peak working set";
    public const string Growth = "growth";
    public const string Submit = "submit";
    public const string GetFloor = "GET floor";
    public const string FractionOfFloor = "fraction of GET floor ÷ 2";
    public const string ClaimGrowth = "claim p50 growth";

    public static string Hosts(int n) => $"{n} host" + (n == 1 ? "" : "s");

    /// <summary>A figure of the http scenario at one backlog size, e.g. "claim p50 (backlog 20,000)".</summary>
    public static string AtBacklog(string metric, int backlog) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{metric} (backlog {backlog:N0})");
}

public static class Units
{
    public const string TasksPerSecond = "tasks/s";
    public const string JobsPerSecond = "jobs/s";
    public const string RequestsPerSecond = "requests/s";
    public const string RowsPerSecond = "rows/s";
    public const string RunsPerSecond = "runs/s";
    public const string Milliseconds = "ms";
    public const string MicrosecondsPerTask = "CPU µs/task";
    public const string CommitsPerTask = "commits/task";
    public const string CommitsPerSecond = "commits/s";
    public const string Megabytes = "MB";
    public const string Ratio = "×";
    public const string Fraction = "%";
}
