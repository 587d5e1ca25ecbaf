using System.Diagnostics;
using System.Globalization;
using Orchestration.Benchmarks.Databases;
using Orchestration.Benchmarks.Reporting;
using Orchestration.Domain;
using Orchestration.Postgres;
using Orchestration.Storage;

namespace Orchestration.Benchmarks.Micro;

/// <summary>
/// The Postgres store's hot paths measured directly on <see cref="PostgresStore"/>, without the runtime: bulk
/// <c>CreateRunsAsync</c> of single-task runs (10,000 per call) and loops of claim 100 + complete 100, on one and on two
/// connections. It isolates the store's own cost from the executor runtime's, so a change to the store's SQL can be
/// judged in seconds. <c>pgstore [--count N] [--connection CS]</c>; a throwaway server is started when no connection
/// is given.
/// </summary>
internal static class PostgresStoreBenchmarks
{
    private const int Batch = 100;
    private const int Chunk = 10_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var count = 20_000;
        string? connection = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--count": count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--connection": connection = args[++i]; break;
                case "--server-pid": ServerPid = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}; usage: pgstore [--count N] [--connection CS] [--server-pid POSTMASTER_PID]");
                    return 2;
            }
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var ct = cts.Token;
        await using var server = await BenchPostgres.StartAsync(connection, ct);
        Console.WriteLine($"load average at start: {LoadAverage()}; PostgreSQL {server.ServerVersion} ({server.Origin}); N = {count}");
        await using var db = await server.CreateDatabaseAsync("pgstore", ct);
        await using var store = new PostgresStore(db.ConnectionString, new PostgresStoreOptions(), TimeProvider.System);
        await store.MigrateAsync(ct);

        // Warm-up: plans, prepared statements, pool and JIT; not reported.
        await EnqueueAsync(store, Math.Min(2_000, count), ct);
        await DrainAsync(store, 1, ct);

        foreach (var connections in new[] { 1, 2 })
        {
            var enqueue = await MeasureAsync(db, count, () => EnqueueAsync(store, count, ct), ct);
            Report("enqueue (CreateRunsAsync, 10,000 runs per call)", count, enqueue);
            var drain = await MeasureAsync(db, count, async () => { var done = await DrainAsync(store, connections, ct); Check(done, count); }, ct);
            Report($"claim {Batch} + complete {Batch}, {connections} connection(s)", count, drain);
        }

        Console.WriteLine($"load average at end: {LoadAverage()}");
        return 0;
    }

    private static void Check(int done, int expected)
    {
        if (done != expected) throw new InvalidOperationException($"drained {done} tasks, expected {expected}");
    }

    private static async Task<StoreFigure> MeasureAsync(BenchDatabase db, int items, Func<Task> work, CancellationToken ct)
    {
        await Task.Delay(1100, ct); // backends publish their commit counters at most once a second
        var commitsBefore = await db.CommitsAsync(ct);
        var cpuBefore = CpuTime.Now;
        var serverBefore = ServerCpu();
        var clock = Stopwatch.StartNew();
        await work();
        var elapsed = clock.Elapsed;
        var cpu = CpuTime.Now - cpuBefore;
        var server = ServerCpu() - serverBefore;
        await Task.Delay(1100, ct);
        var commits = await db.CommitsAsync(ct) - commitsBefore - 1; // our own CommitsAsync query commits too
        return new StoreFigure(items / elapsed.TotalSeconds, cpu.TotalMicroseconds / items, server.TotalMicroseconds / items, commits / (double)items);
    }

    private static void Report(string what, int items, StoreFigure f) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what,-60} {f.PerSecond,10:N0} tasks/s  {f.CpuMicrosPerTask,7:F1} CPU µs/task (client)  {(ServerPid is null ? "" : $"{f.ServerMicrosPerTask,7:F1} CPU µs/task (server)  ")}{f.CommitsPerTask,6:F3} commits/task  N={items}"));

    private static async Task EnqueueAsync(PostgresStore store, int count, CancellationToken ct)
    {
        // Built before the store call as the engine would hand them over; building is part of the figure but cheap.
        for (var offset = 0; offset < count; offset += Chunk)
        {
            var n = Math.Min(Chunk, count - offset);
            var runs = new CreateRunParams[n];
            for (var i = 0; i < n; i++)
            {
                runs[i] = new CreateRunParams
                {
                    RunId = GuidGenerator.NewVersion7(),
                    OrgId = "default",
                    Kind = RunKind.Managed,
                    Family = "runs",
                    Tasks = [new NewTask { Id = GuidGenerator.NewVersion7(), Name = "noop", Type = "noop", RetryPolicy = RetryPolicy.Default }],
                };
            }

            await store.CreateRunsAsync(runs, ct);
        }
    }

    private static async Task<int> DrainAsync(PostgresStore store, int connections, CancellationToken ct)
    {
        var claim = new ClaimTasksParams { ExecutorId = "bench", Max = Batch, LeaseDuration = TimeSpan.FromSeconds(30), Types = ["noop"] };
        var total = 0;
        var loops = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            var mine = 0;
            while (true)
            {
                var claimed = await store.ClaimTasksAsync(claim, ct);
                if (claimed.Count == 0) return mine;
                var completions = new TaskCompletion[claimed.Count];
                for (var i = 0; i < completions.Length; i++) completions[i] = new TaskCompletion(new TaskLease(claimed[i].Id, claimed[i].LeaseToken!.Value), null);
                var results = await store.CompleteTasksAsync(completions, ct);
                mine += results.Count(r => r.Applied);
            }
        }, ct)).ToArray();
        foreach (var n in await Task.WhenAll(loops)) total += n;
        return total;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private readonly record struct StoreFigure(double PerSecond, double CpuMicrosPerTask, double ServerMicrosPerTask, double CommitsPerTask);

    // With the postmaster's PID of a local server (Linux), the CPU time of all its processes: the database's share of
    // the work, which the client's CPU time leaves out. Steadier than wall-clock rates on a shared machine.
    private static int? ServerPid { get; set; }

    private static TimeSpan ServerCpu()
    {
        if (ServerPid is not { } pid) return TimeSpan.Zero;
        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // fields[1] is the parent PID; utime and stime are fields 14 and 15 of the whole line (11 and 12 here).
                if (fields[1] != pid.ToString(CultureInfo.InvariantCulture) && Path.GetFileName(dir) != pid.ToString(CultureInfo.InvariantCulture)) continue;
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // the process ended meanwhile
            }
        }

        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ
    }
}
