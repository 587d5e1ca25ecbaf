using System.Text.Json;
using Orchestration.Benchmarks;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Micro;
using Orchestration.Benchmarks.Reporting;

namespace Orchestration.Benchmarks.Tests;

/// <summary>
/// Runs each benchmark scenario with a tiny N through <see cref="Harness.RunAsync"/>, so the harness keeps working as
/// the engine changes. The figures are not checked against targets here, only that each is a real positive number
/// and that a store this build lacks is reported as a gap with its reason, never as a number.
/// </summary>
[NonParallelizable]
public sealed class HarnessSmokeTests
{
    private string _json = "";

    [SetUp]
    public void SetUp() => _json = Path.Combine(Path.GetTempPath(), $"bench-smoke-{Guid.NewGuid():N}.json");

    [TearDown]
    public void TearDown() => File.Delete(_json);

    private BenchSettings Tiny(string scenario, params string[] stores) => new BenchSettings().WithCount(200) with
    {
        Scenarios = [scenario],
        Stores = stores,
        LatencySamples = 20,
        SkipWarmup = true,
        StatsSettle = TimeSpan.FromMilliseconds(1500),
        IdleWindow = TimeSpan.FromSeconds(1),
        JsonPath = _json,
        CompetitorBudget = TimeSpan.FromSeconds(60),
        HttpBacklog = 40,
        HttpSmallJobs = 40,
        HttpExecutors = 2,
        HttpBudget = TimeSpan.FromSeconds(60),
        HttpFloorDuration = TimeSpan.FromMilliseconds(300),
    };

    private List<(string Scenario, string System, string Store, string Metric)> _written = [];

    private async Task<BenchReport> RunAsync(BenchSettings settings)
    {
        var report = await Harness.RunAsync(settings, TextWriter.Null, TextWriter.Null, CancellationToken.None);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(_json));
        // Every figure the run measured must be in the file with its value, once, and nothing else: the file is what
        // docs/performance.md is built from. The metrics each case expects are checked against the file below.
        var written = json.RootElement.GetProperty("figures").EnumerateArray()
            .Select(f => (f.GetProperty("scenario").GetString(), f.GetProperty("system").GetString(), f.GetProperty("store").GetString(), f.GetProperty("metric").GetString(), f.GetProperty("value").GetDouble()))
            .ToList();
        Assert.That(written, Is.Unique);
        _written = written.Select(w => (w.Item1!, w.Item2!, w.Item3!, w.Item4!)).ToList();
        Assert.That(written, Is.EquivalentTo(report.Figures.Select(f => (f.Scenario, f.System, f.Store, f.Metric, f.Value))));
        Assert.That(report.Figures, Has.All.Matches<Figure>(f => double.IsFinite(f.Value) && f.Value >= 0 && f.Count > 0), "zero is a valid reading (an idle host can commit nothing in its window); each case checks its own metrics are positive");
        return report;
    }

    [TestCase("throughput", StoreKinds.InMemory, "enqueue", "drain", "e2e")]
    [TestCase("dag", StoreKinds.InMemory, "enqueue", "drain", "runs")]
    [TestCase("latency", StoreKinds.InMemory, "p50", "p95", "p99")]
    [TestCase("throughput", StoreKinds.Sqlite, "enqueue", "drain", "e2e")]
    [TestCase("dag", StoreKinds.Sqlite, "enqueue", "drain", "runs")]
    [TestCase("latency", StoreKinds.Sqlite, "p50", "p95", "p99")]
    [TestCase("memory", StoreKinds.Sqlite, "peak working set", "growth")]
    [TestCase("heldback", StoreKinds.Sqlite, "claim p50, nothing held back", "claim p50, 200 held back", "claim p50, 200 held back by a rate")]
    [TestCase("noisy", StoreKinds.InMemory, "quiet org p99 start delay, fairness off", "quiet org p99 start delay, fairness on", "drain, fairness on")]
    [TestCase("noisy", StoreKinds.Sqlite, "quiet org p99 start delay, fairness off", "quiet org p99 start delay, fairness on", "drain, fairness on")]
    public async Task RunAsync_TinyScenario_ReportsPositiveFigures(string scenario, string store, params string[] metrics)
    {
        var report = await RunAsync(Tiny(scenario, store));

        Assert.That(report.Gaps, Is.Empty);
        foreach (var metric in metrics)
        {
            Assert.That(report.Find(scenario, Systems.Ours, store, metric), Is.GreaterThan(0), metric);
            Assert.That(_written, Does.Contain((scenario, Systems.Ours, store, metric)), $"{metric} missing from the JSON file");
        }
    }

    [Test]
    public async Task RunAsync_HangfireScenarioInMemory_ReportsBothCompetitorsAndRatios()
    {
        var report = await RunAsync(Tiny("hangfire", StoreKinds.InMemory));

        Assert.That(report.Gaps, Is.Empty);
        foreach (var system in new[] { Systems.Hangfire, Systems.Quartz })
        {
            Assert.That(report.Find("hangfire", system, StoreKinds.InMemory, Metrics.Drain), Is.GreaterThan(0), system);
            Assert.That(report.Find("hangfire", system, StoreKinds.InMemory, Metrics.P50), Is.GreaterThan(0), system);
        }

        Assert.That(report.Ratios.Select(r => r.Pair).Distinct(), Is.EquivalentTo(new[] { "InMemory ↔ Hangfire.InMemory", "InMemory ↔ Quartz RAMJobStore" }));
    }

    [Test]
    public async Task RunAsync_LimitScenarioSqlite_ReportsRawLimitAndOurFraction()
    {
        var report = await RunAsync(Tiny("limit", StoreKinds.Sqlite));

        Assert.That(report.Gaps, Is.Empty);
        Assert.That(report.Find("limit", Systems.RawSqlite, StoreKinds.Sqlite, Metrics.ClaimComplete), Is.GreaterThan(0));
        Assert.That(report.Find("limit", Systems.RawSqlite, StoreKinds.Sqlite, Metrics.Copy), Is.GreaterThan(0));
        Assert.That(report.Find("limit", Systems.Ours, StoreKinds.Sqlite, Metrics.FractionOfLimit), Is.GreaterThan(0));
    }

    [TestCase("throughput", "enqueue", "drain", "commits/task")]
    [TestCase("latency", "p50", "p50 cross-process", "p99 cross-process")]
    [TestCase("scale", "1 host", "2 hosts", "3 hosts")]
    [TestCase("memory", "peak working set", "growth")]
    public async Task RunAsync_PostgresTinyScenario_ReportsPositiveFigures(string scenario, params string[] metrics)
    {
        var server = await Orchestration.Testing.PostgresServer.Shared;
        var report = await RunAsync(Tiny(scenario, StoreKinds.Postgres) with { PostgresConnection = server.AdminConnectionString });

        Assert.That(report.Gaps, Is.Empty);
        foreach (var metric in metrics)
            Assert.That(report.Find(scenario, Systems.Ours, StoreKinds.Postgres, metric), Is.GreaterThan(0), metric);
    }

    [TestCase(StoreKinds.Sqlite)]
    [TestCase(StoreKinds.Postgres)]
    public async Task RunAsync_HttpScenarioTinyBacklog_ReportsBothBacklogsTheFloorAndTheTargets(string store)
    {
        var settings = Tiny("http", store);
        if (store == StoreKinds.Postgres) settings = settings with { PostgresConnection = (await Orchestration.Testing.PostgresServer.Shared).AdminConnectionString };

        var report = await RunAsync(settings);

        Assert.That(report.Gaps, Is.Empty);
        var metrics = new[]
        {
            Metrics.Submit, Metrics.GetFloor, Metrics.FractionOfFloor, Metrics.ClaimGrowth,
            Metrics.AtBacklog(Metrics.Drain, 20), Metrics.AtBacklog("claim p50", 20), Metrics.AtBacklog("complete p99", 20),
            Metrics.AtBacklog(Metrics.Drain, 40), Metrics.AtBacklog("claim p50", 40), Metrics.AtBacklog("claim p99", 40), Metrics.AtBacklog("complete p50", 40),
        };
        foreach (var metric in metrics)
        {
            Assert.That(report.Find("http", Systems.Ours, store, metric), Is.GreaterThan(0), metric);
            Assert.That(_written, Does.Contain(("http", Systems.Ours, store, metric)), $"{metric} missing from the JSON file");
        }

        var targets = report.Targets.Where(t => t.Name.Contains($"({store}", StringComparison.Ordinal) && (t.Name.StartsWith("HTTP executor path", StringComparison.Ordinal) || t.Name.StartsWith("Claim p50 flat", StringComparison.Ordinal))).ToList();
        Assert.That(targets, Has.Count.EqualTo(2));
        Assert.That(targets, Has.All.Matches<TargetCheck>(t => t.Met != null), "both of the issue's targets are judged from this run's figures");
    }

    [Test]
    public async Task RunAsync_LimitAndHangfirePostgres_ReportRawLimitAndHangfirePostgreSql()
    {
        var server = await Orchestration.Testing.PostgresServer.Shared;
        var report = await RunAsync(Tiny("limit", StoreKinds.Postgres) with { PostgresConnection = server.AdminConnectionString, Scenarios = ["limit", "hangfire"], HangfirePostgresTasks = 20, LatencySamples = 3 });

        Assert.That(report.Find("limit", Systems.RawNpgsql, StoreKinds.Postgres, Metrics.ClaimComplete), Is.GreaterThan(0));
        Assert.That(report.Find("limit", Systems.Ours, StoreKinds.Postgres, Metrics.FractionOfLimit), Is.GreaterThan(0));
        Assert.That(report.Find("hangfire", Systems.Hangfire, StoreKinds.Postgres, Metrics.Drain), Is.GreaterThan(0));
    }

    [Test]
    public async Task MicroBenchmarks_InMemoryClaimAndComplete_CompletesAFullBatch()
    {
        using var bench = new InMemoryClaimBenchmarks { Batch = 100 };
        bench.Fill();

        Assert.That(await bench.ClaimAndCompleteOnceAsync(), Is.EqualTo(100));
    }

    [Test]
    public async Task MicroBenchmarks_SqliteClaimAndComplete_CompletesAFullBatch()
    {
        using var bench = new SqliteStoreBenchmarks { Batch = 100 };
        bench.Open();
        bench.FillForClaims();

        Assert.That(await bench.ClaimAndCompleteOnceAsync(), Is.EqualTo(100));
        bench.PrepareRuns();
        await bench.CreateRuns();
    }

    [Test]
    public async Task MicroBenchmarks_InMemoryEnqueue_StoresEveryRunQueued()
    {
        using var bench = new InMemoryEnqueueBenchmarks { Existing = 0 };
        bench.Fill();

        await bench.Enqueue();

        Assert.That(bench.QueuedTasks(), Is.EqualTo(10_000));
    }

    [Test]
    public void MicroBenchmarks_JsonContracts_RoundTrip()
    {
        var bench = new JsonContractBenchmarks();
        bench.Setup();

        var input = bench.DeserializeInput();

        Assert.That(input?.Width, Is.EqualTo(640));
        Assert.That(input?.Tags, Is.EqualTo(new[] { "thumb", "web" }));
        Assert.That(bench.SerializeInput(), Does.Contain("\"url\":"));
        Assert.That(bench.ErrorBody(), Is.EqualTo("handler failed: boom"));
    }

    [Test]
    public void Parse_CountAndStore_SetsEveryScenarioSize()
    {
        var settings = Harness.Parse(["latency", "--store", "inmemory,sqlite", "--count", "400"]);

        Assert.That(settings.Scenarios, Is.EqualTo(new[] { "latency" }));
        Assert.That(settings.Stores, Is.EqualTo(new[] { StoreKinds.InMemory, StoreKinds.Sqlite }));
        Assert.That(settings.ThroughputTasks, Is.EqualTo(400));
        Assert.That(settings.DagRuns * settings.DagWidth, Is.EqualTo(400));
        Assert.That(settings.LatencySamples, Is.EqualTo(400));
        Assert.That(settings.HttpBacklog, Is.EqualTo(400));
    }

    [Test]
    public void Parse_HttpOptions_SetBacklogExecutorsAndBudget()
    {
        var settings = Harness.Parse(["http", "--count", "400", "--backlog", "5000", "--executors", "3", "--budget", "12"]);

        Assert.That(settings.Scenarios, Is.EqualTo(new[] { "http" }));
        Assert.That(settings.HttpBacklog, Is.EqualTo(5000), "--backlog wins over --count");
        Assert.That(settings.HttpExecutors, Is.EqualTo(3));
        Assert.That(settings.HttpBudget, Is.EqualTo(TimeSpan.FromSeconds(12)));
        Assert.That(settings.CompetitorBudget, Is.EqualTo(TimeSpan.FromSeconds(12)));
    }
}
