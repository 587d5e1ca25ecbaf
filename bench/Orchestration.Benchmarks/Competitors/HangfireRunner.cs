using System.Diagnostics;
using Hangfire;
using Hangfire.Common;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.States;
using Hangfire.Storage;
using Orchestration.Benchmarks.Engine;

namespace Orchestration.Benchmarks.Competitors;

/// <summary>
/// Hangfire as its documentation sets it up (recommended serializer settings, storage options at their defaults),
/// with only the worker count changed to the one every system in the run shares.
/// </summary>
internal static class HangfireRunner
{
    private static readonly Lock ConfigureGate = new();
    private static bool _configured;

    public static JobStorage CreateStorage(string store, string? connectionString)
    {
        EnsureConfigured();
        return store switch
        {
            StoreKinds.InMemory => new InMemoryStorage(),
            StoreKinds.Postgres => CreatePostgres(connectionString ?? throw new ArgumentNullException(nameof(connectionString))),
            _ => throw new StoreUnavailableException($"Hangfire has no {store} storage in this comparison"),
        };
    }

    private static PostgreSqlStorage CreatePostgres(string connectionString)
    {
        var options = new PostgreSqlStorageOptions();
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options, null), options);
    }

    public static async Task<CompetitorDrain> DrainAsync(JobStorage storage, int count, int workers, TimeSpan budget, CancellationToken cancellationToken)
    {
        var client = new BackgroundJobClient(storage);
        var job = Job.FromExpression(() => HangfireJobs.Noop());
        var done = CompetitorProbe.Reset(count);

        // Hangfire has no bulk enqueue: one Create per job is its client API.
        var cpu0 = Reporting.CpuTime.Now;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++) client.Create(job, new EnqueuedState());
        var enqueue = clock.Elapsed;
        var enqueueCpu = Reporting.CpuTime.Now - cpu0;
        var drainCpu0 = Reporting.CpuTime.Now;

        var start = Stopwatch.GetTimestamp();
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = workers }, storage);
        var within = true;
        try
        {
            await done.WaitAsync(budget, cancellationToken);
            // The handler has returned; the job counts once its Succeeded state is committed.
            await WaitUntilAsync(() => storage.GetMonitoringApi().ProcessingCount() == 0, budget, cancellationToken);
        }
        catch (TimeoutException)
        {
            within = false;
        }

        var drain = Stopwatch.GetElapsedTime(start);
        var drainCpu = Reporting.CpuTime.Now - drainCpu0;
        var completed = within ? count : CompetitorProbe.Count;
        server.SendStop();
        return new CompetitorDrain(count, enqueue, completed, drain, within, enqueueCpu, drainCpu);
    }

    public static async Task<List<double>> LatencyAsync(JobStorage storage, int warmup, int samples, int workers, TimeSpan budget, CancellationToken cancellationToken)
    {
        var client = new BackgroundJobClient(storage);
        var job = Job.FromExpression(() => HangfireJobs.Probe());
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = workers }, storage);
        var monitoring = storage.GetMonitoringApi();
        var latencies = new List<double>(samples);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < warmup + samples && clock.Elapsed < budget; i++)
        {
            var hit = CompetitorProbe.Latency.Arm();
            var start = Stopwatch.GetTimestamp();
            client.Create(job, new EnqueuedState());
            var left = budget - clock.Elapsed;
            long at;
            try
            {
                at = await hit.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1), cancellationToken);
            }
            catch (TimeoutException)
            {
                break;
            }

            await WaitUntilAsync(() => monitoring.ProcessingCount() == 0, Scenarios.LatencyProbe.SampleTimeout, cancellationToken);
            if (i >= warmup) latencies.Add(Scenarios.LatencyProbe.Milliseconds(start, at));
        }

        server.SendStop();
        return latencies;
    }

    private static void EnsureConfigured()
    {
        lock (ConfigureGate)
        {
            if (_configured) return;
            GlobalConfiguration.Configuration
                .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            _configured = true;
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException("condition not met in time");
            await Task.Delay(1, cancellationToken);
        }
    }
}
