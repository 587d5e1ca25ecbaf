using System.Diagnostics;
using System.Globalization;
using Orchestration.Benchmarks.Engine;
using Orchestration.Hosting;

namespace Orchestration.Benchmarks.Workers;

/// <summary>
/// The child side of <see cref="ChildHost"/>: one engine host on a shared store, started on "GO", stopped on "STOP"
/// or when the parent goes away (stdin closes). Modes: drain (no-op handler, reports completions), latency (reports
/// the timestamp at each handler start), hold (handlers wait until shutdown; reports peak memory).
/// </summary>
internal static class WorkerMode
{
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            var mode = args[0];
            var store = Option(args, "--store") ?? throw new ArgumentException("--store is required");
            var cs = Option(args, "--connection") ?? throw new ArgumentException("--connection is required");
            var workers = int.Parse(Option(args, "--workers") ?? "16", CultureInfo.InvariantCulture);
            var expect = int.Parse(Option(args, "--expect") ?? "0", CultureInfo.InvariantCulture);
            Action<OrchestrationOptions> configureStore = store switch
            {
                StoreKinds.Sqlite => o => StoreRegistrations.UseSqlite(o, cs),
                StoreKinds.Postgres => o => StoreRegistrations.UsePostgres(o, cs),
                _ => throw new ArgumentException($"worker mode needs a shared store, not '{store}'"),
            };

            await using var host = mode switch
            {
                "drain" => EngineHost.Build(configureStore, b => b.AddTaskHandler(Workloads.NoopType, (_, _) => EngineHost.NoOutput), o => o.Worker.MaxConcurrency = workers),
                "latency" => EngineHost.Build(configureStore, b => b.AddTaskHandler("probe", (_, _) =>
                {
                    Console.Out.WriteLine("S " + Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture));
                    return EngineHost.NoOutput;
                }), o => o.Worker.MaxConcurrency = workers),
                "hold" => EngineHost.Build(configureStore, b => b.AddTaskHandler(Workloads.HoldType, async (_, ct) =>
                {
                    await Task.Delay(Timeout.Infinite, ct);
                    return null;
                }), o =>
                {
                    o.Worker.MaxConcurrency = workers;
                    // Held handlers only end by cancellation; waiting for them at shutdown would just add the timeout.
                    o.Worker.ShutdownTimeout = TimeSpan.Zero;
                }),
                _ => throw new ArgumentException($"unknown worker mode '{mode}'"),
            };
            host.Store.OnCompleted = n => Console.Out.WriteLine("C " + n.ToString(CultureInfo.InvariantCulture));

            Console.Out.WriteLine("READY");
            if (await Console.In.ReadLineAsync() != "GO") return 0;
            await host.StartAsync(CancellationToken.None);
            Console.Out.WriteLine("STARTED");

            if (mode == "hold")
            {
                var deadline = Stopwatch.StartNew();
                while (host.Store.Claimed < expect && deadline.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
                // A few maintenance passes and safety polls run in this window, so their allocations count too.
                await Task.Delay(TimeSpan.FromSeconds(3));
                GC.Collect();
                var (hwm, rss) = ProcessMemory.Read();
                Console.Out.WriteLine(FormattableString.Invariant($"MEM {hwm} {rss} {GC.GetTotalMemory(false)} {host.Store.Claimed}"));
            }

            string? line;
            while ((line = await Console.In.ReadLineAsync()) is not null && line != "STOP")
            {
                // Only STOP (or the parent closing our stdin) ends the host.
            }

            await host.StopAsync();
            return 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Console.Out.WriteLine("ERR " + ex.GetType().Name + ": " + ex.Message.ReplaceLineEndings(" "));
            return 1;
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

internal static class ProcessMemory
{
    /// <summary>Peak and current resident set (VmHWM, VmRSS) in bytes; falls back to the runtime's view off Linux.</summary>
    public static (long PeakBytes, long CurrentBytes) Read()
    {
        try
        {
            long hwm = 0, rss = 0;
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kilobytes(line) * 1024;
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line) * 1024;
            }

            if (hwm > 0) return (hwm, rss);
        }
        catch (IOException)
        {
            // Not Linux.
        }

        using var self = Process.GetCurrentProcess();
        return (self.PeakWorkingSet64, self.WorkingSet64);
    }

    private static long Kilobytes(string line) =>
        long.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
