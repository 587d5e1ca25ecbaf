using System.Globalization;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;
using Orchestration.Benchmarks.Scenarios;

namespace Orchestration.Benchmarks;

/// <summary>
/// The harness's public entry: <see cref="MainAsync"/> is the command line, <see cref="RunAsync"/> runs scenarios for
/// callers such as the smoke test. Progress goes to the log writer, results to the output writer and a JSON file.
/// </summary>
public static class Harness
{
    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Orchestration.Benchmarks -- [scenario] [options]

        Scenarios (default: all, in this order):
          throughput   bulk-enqueue N single-task runs, then drain with the in-process worker
          dag          1,000 runs of a 20-task fan-out/fan-in graph
          latency      enqueue → handler start at idle, one at a time (1,000 samples)
          hangfire     the same throughput and latency through Hangfire and Quartz.NET, with ours/theirs ratios
          limit        raw batched claim+complete on Postgres (Npgsql) and SQLite, and our drain as a fraction of it
          scale        1, 2 and 3 host processes draining the same tasks on one Postgres
          memory       peak working set of a host with 1,000,000 pending tasks (SQLite, Postgres)
          http         the sample host in its own process; N executors loop claim → complete over HTTP at a backlog of 20
                       and of --backlog jobs; the authenticated GET /api/v1/jobs/{id} floor from the same clients
          noisy        N tasks of one org, then 100 of another as the worker starts: the second org's start delay
                       (p50/p99/max) and the drain rate, with fairness between orgs off and on
          all          every scenario above
          micro        BenchmarkDotNet micro-benchmarks of hot paths (arguments after it go to BenchmarkDotNet)
          pgstore      the Postgres store alone: bulk CreateRunsAsync and claim 100 + complete 100 loops [--count N] [--connection CS]

        Options:
          --store inmemory|sqlite|postgres   only this store (repeat or comma-separate for several; default all)
          --count N          main size of every scenario (default 100,000; DAG keeps N tasks; latency N samples)
          --samples N        latency samples (default 1,000)
          --pending N        pending tasks of the memory scenario (default 1,000,000)
          --workers N        handlers per host for every system (default: our worker's default concurrency)
          --connection CS    Postgres server to use (or set ORCHESTRATION_BENCH_POSTGRES); default: start a throwaway one
          --budget SECONDS   time budget of each competitor measurement and of each http drain (default 30)
          --backlog N        jobs submitted before the http executors drain them (default 20,000; also set by --count)
          --executors N      HTTP executors of the http scenario, one connection each (default 8)
          --json PATH        where to write the JSON report (default bench-results/results-<utc>.json)
          --no-warmup        skip warm-up passes
        """;

    public static async Task<int> MainAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "worker") return await Workers.WorkerMode.RunAsync(args[1..]);
        if (args.Length > 0 && args[0] == "micro") return Micro.MicroBenchmarks.Run(args[1..]);
        if (args.Length > 0 && args[0] == "pgstore") return await Micro.PostgresStoreBenchmarks.RunAsync(args[1..]);
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        BenchSettings settings;
        try
        {
            settings = Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var report = await RunAsync(settings, Console.Out, Console.Error, cancel.Token);
        return report.Gaps.Count == 0 ? 0 : 3;
    }

    public static BenchSettings Parse(string[] args)
    {
        var settings = new BenchSettings();
        var stores = new List<string>();
        string? scenario = null;
        int? count = null, samples = null, pending = null, backlog = null;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value");
            int NextInt() => int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw new ArgumentException($"{a} needs a positive integer");
            switch (a)
            {
                case "--store":
                    foreach (var s in Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!StoreKinds.All.Contains(s)) throw new ArgumentException($"unknown store '{s}' (expected {string.Join(", ", StoreKinds.All)})");
                        stores.Add(s);
                    }

                    break;
                case "--count": count = NextInt(); break;
                case "--samples": samples = NextInt(); break;
                case "--pending": pending = NextInt(); break;
                case "--workers": settings = settings with { Workers = NextInt() }; break;
                case "--connection": settings = settings with { PostgresConnection = Next() }; break;
                case "--budget":
                    var budget = TimeSpan.FromSeconds(NextInt());
                    settings = settings with { CompetitorBudget = budget, HttpBudget = budget };
                    break;
                case "--backlog": backlog = NextInt(); break;
                case "--executors": settings = settings with { HttpExecutors = NextInt() }; break;
                case "--json": settings = settings with { JsonPath = Next() }; break;
                case "--no-warmup": settings = settings with { SkipWarmup = true }; break;
                default:
                    if (a.StartsWith('-') || scenario is not null) throw new ArgumentException($"unexpected argument '{a}'");
                    scenario = a == "quartz" ? "hangfire" : a;
                    if (scenario != BenchSettings.DefaultScenario && !BenchSettings.AllScenarios.Contains(scenario))
                        throw new ArgumentException($"unknown scenario '{a}'");
                    break;
            }
        }

        if (count is { } n) settings = settings.WithCount(n);
        if (samples is { } sm) settings = settings with { LatencySamples = sm };
        if (pending is { } p) settings = settings with { MemoryPending = p };
        if (backlog is { } b) settings = settings with { HttpBacklog = b };
        if (stores.Count > 0) settings = settings with { Stores = stores.Distinct().ToArray() };
        if (scenario is not null && scenario != BenchSettings.DefaultScenario) settings = settings with { Scenarios = [scenario] };
        return settings;
    }

    public static async Task<BenchReport> RunAsync(BenchSettings settings, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        await using var context = new BenchContext(settings, log);
        var report = context.Report;
        report.StartedAt = DateTimeOffset.UtcNow;
        report.LoadAverageAtStart = MachineInfo.LoadAverage();
        report.Machine = MachineInfo.Capture();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        context.Info($"scenarios: {string.Join(", ", settings.Scenarios)}; stores: {string.Join(", ", settings.Stores)}; workers {settings.Workers}; load {report.LoadAverageAtStart}");

        foreach (var name in settings.Scenarios)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Create(name).RunAsync(context, cancellationToken);
        }

        report.Duration = clock.Elapsed;
        report.LoadAverageAtEnd = MachineInfo.LoadAverage();
        report.Ratios = Analysis.Ratios(report);
        report.Targets = Analysis.Targets(report);

        await output.WriteAsync(ReportWriter.Markdown(report, settings));
        await output.FlushAsync(cancellationToken);
        var path = settings.JsonPath ?? Path.Combine("bench-results", $"results-{report.StartedAt:yyyyMMdd-HHmmss}.json");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(path, ReportWriter.ToJson(report, settings, context.PostgresVersion, context.PostgresOrigin), cancellationToken);
        context.Info($"JSON report: {Path.GetFullPath(path)}; total {report.Duration.TotalSeconds:F0} s");
        return report;
    }

    private static IScenario Create(string name) => name switch
    {
        ThroughputScenario.ScenarioName => new ThroughputScenario(),
        DagScenario.ScenarioName => new DagScenario(),
        LatencyScenario.ScenarioName => new LatencyScenario(),
        CompetitorScenario.ScenarioName => new CompetitorScenario(),
        LimitScenario.ScenarioName => new LimitScenario(),
        ScaleScenario.ScenarioName => new ScaleScenario(),
        MemoryScenario.ScenarioName => new MemoryScenario(),
        HttpExecutorScenario.ScenarioName => new HttpExecutorScenario(),
        HeldBackScenario.ScenarioName => new HeldBackScenario(),
        NoisyScenario.ScenarioName => new NoisyScenario(),
        _ => throw new ArgumentException($"unknown scenario '{name}'"),
    };
}
