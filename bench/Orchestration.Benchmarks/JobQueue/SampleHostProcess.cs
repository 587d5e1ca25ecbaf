using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Orchestration.Benchmarks.Engine;

namespace Orchestration.Benchmarks.JobQueue;

/// <summary>
/// The sample host (<c>samples/Orchestration.Host</c>, the build made with this harness) in a process of its own, as
/// users run it: Kestrel on 127.0.0.1 on a port the OS picks, the store chosen by its documented settings, a bootstrap
/// key the harness generates. Killed by PID when disposed.
/// </summary>
internal sealed partial class SampleHostProcess : IAsyncDisposable
{
    // Far above what eight executors ask for, so the scenario measures the executor path and never the limiter's 429s.
    // The limiter still counts every call, as it does in production.
    public const int ExecutorCallLimitPerMinute = 100_000_000;

    private readonly Process _process;
    private readonly BenchContext _context;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Queue<string> _tail = new();
    private bool _echo;

    private SampleHostProcess(Process process, BenchContext context, string bootstrapKey)
    {
        _process = process;
        _context = context;
        BootstrapKey = bootstrapKey;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The host's <c>Orchestration:Auth:BootstrapApiKey</c>: the system key the harness provisions other keys with.</summary>
    public string BootstrapKey { get; }

    public int Id => _process.Id;

    /// <summary>The sample host's assembly as built with this harness (recorded at build time, see the .csproj).</summary>
    public static string AssemblyPath =>
        typeof(SampleHostProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "SampleHostAssembly")?.Value is { Length: > 0 } path
            ? path
            : throw new StoreUnavailableException("the sample host's build path was not recorded in this harness build");

    /// <summary>Starts the host on <paramref name="store"/> and waits until Kestrel listens.</summary>
    public static async Task<SampleHostProcess> StartAsync(BenchContext context, string store, string? connectionString, CancellationToken cancellationToken)
    {
        var dll = AssemblyPath;
        if (!File.Exists(dll)) throw new StoreUnavailableException($"the sample host is not built at {dll}");
        var start = Workers.ChildHost.DotnetStartInfo();
        start.WorkingDirectory = context.WorkDirectory;
        foreach (var a in new[]
                 {
                     "exec", dll, "--urls", "http://127.0.0.1:0",
                     $"--Orchestration:Storage={store}",
                     $"--Orchestration:RateLimits:PerExecutor:Limit={ExecutorCallLimitPerMinute}",
                     "--Orchestration:RateLimits:PerExecutor:WindowSeconds=60",
                     // The sample host ships no appsettings.json, so out of the box ASP.NET Core logs two lines per
                     // request at Information. Deployed hosts use the template's setting; so does the harness.
                     "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
                 })
            start.ArgumentList.Add(a);

        // Secrets go through the environment rather than the command line, where any local user could read them.
        var bootstrap = "bench-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        start.Environment["Orchestration__Auth__BootstrapApiKey"] = bootstrap;
        if (connectionString is not null) start.Environment["ConnectionStrings__Orchestration"] = connectionString;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new SampleHostProcess(process, context, bootstrap);
        process.OutputDataReceived += (_, e) => host.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => host.OnLine(e.Data);
        if (!process.Start()) throw new InvalidOperationException("could not start the sample host");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            host.BaseAddress = await host.WaitForListeningAsync(TimeSpan.FromSeconds(90), cancellationToken);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > 20) _tail.Dequeue();
        }

        if (BaseAddress is null)
        {
            _lines.Writer.TryWrite(line);
            return;
        }

        // Once it listens, only the host's warnings, errors and raw output reach the harness's log: the console logger
        // writes a "level: Category[id]" header, then the message on indented lines.
        if (line.Length == 0 || !char.IsWhiteSpace(line[0]))
            _echo = !(line.StartsWith("info:", StringComparison.Ordinal) || line.StartsWith("dbug:", StringComparison.Ordinal) || line.StartsWith("trce:", StringComparison.Ordinal));
        if (_echo) _context.Log.WriteLine($"  [sample host {_process.Id}] {line}");
    }

    private async Task<Uri> WaitForListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var exited = _process.WaitForExitAsync(cts.Token);
        try
        {
            while (true)
            {
                var next = _lines.Reader.ReadAsync(cts.Token).AsTask();
                if (await Task.WhenAny(next, exited) == exited && !next.IsCompleted)
                    throw new InvalidOperationException($"the sample host exited with code {_process.ExitCode} before listening: {Tail()}");
                var line = await next;
                if (Listening().Match(line) is { Success: true } m) return new Uri(m.Groups[1].Value);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the sample host did not listen within {timeout.TotalSeconds:F0} s: {Tail()}");
        }
    }

    private string Tail()
    {
        lock (_tail) return string.Join(" | ", _tail);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // A web host has no stdin protocol; SIGKILL is fine because every measurement uses a fresh store.
                _process.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await _process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    _context.Info($"sample host {_process.Id} did not exit after kill");
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        finally
        {
            _process.Dispose();
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();
}
