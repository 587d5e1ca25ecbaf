using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace Orchestration.Benchmarks.Workers;

/// <summary>
/// A host process of the bench app in worker mode (<c>dotnet Orchestration.Benchmarks.dll worker ...</c>). The parent
/// talks to it through stdin ("GO", "STOP") and reads one line per event from its stdout; it is killed by PID if it
/// does not stop on its own.
/// </summary>
internal sealed class ChildHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly BenchContext _context;
    private long _completed;

    private ChildHost(Process process, BenchContext context)
    {
        _process = process;
        _context = context;
    }

    public int Id => _process.Id;

    /// <summary>The child's running total of applied completions ("C n" lines).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Called on the reader thread after each "C n" line.</summary>
    public Action? OnProgress { get; set; }

    /// <summary>Called on the reader thread for each "S timestamp" line (a handler started).</summary>
    public Action<long>? OnStarted { get; set; }

    /// <summary>
    /// A child <c>dotnet</c> process with its standard streams redirected: the muxer that runs this process when known
    /// (<c>DOTNET_HOST_PATH</c>), else <c>dotnet</c> from PATH.
    /// </summary>
    internal static ProcessStartInfo DotnetStartInfo()
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(dotnet) || !File.Exists(dotnet)) dotnet = "dotnet";
        return new ProcessStartInfo(dotnet)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
    }

    public static ChildHost Start(BenchContext context, string mode, string store, string connectionString, int workers, int expect = 0)
    {
        var dll = typeof(ChildHost).Assembly.Location;
        var start = DotnetStartInfo();
        start.ArgumentList.Add("exec");
        // Hosted by another app (the test runner), this assembly's own deps/runtimeconfig may not describe where its
        // dependencies live; the current process's do, so the child starts with the same ones.
        if (System.Reflection.Assembly.GetEntryAssembly() != typeof(ChildHost).Assembly
            && (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string)?.Split(';')[0] is { Length: > 0 } deps
            && File.Exists(deps) && File.Exists(Path.ChangeExtension(deps, null).Replace(".deps", "", StringComparison.Ordinal) + ".runtimeconfig.json"))
        {
            start.ArgumentList.Add("--depsfile");
            start.ArgumentList.Add(deps);
            start.ArgumentList.Add("--runtimeconfig");
            start.ArgumentList.Add(Path.ChangeExtension(deps, null).Replace(".deps", "", StringComparison.Ordinal) + ".runtimeconfig.json");
        }

        foreach (var a in new[] { dll, "worker", mode, "--store", store, "--connection", connectionString, "--workers", workers.ToString(CultureInfo.InvariantCulture), "--expect", expect.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildHost(process, context);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) context.Log.WriteLine($"  [host {process.Id}] {e.Data}");
        };
        if (!process.Start()) throw new InvalidOperationException("could not start a worker process");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _lines.Writer.TryComplete();
            return;
        }

        if (line.StartsWith("C ", StringComparison.Ordinal))
        {
            Interlocked.Exchange(ref _completed, long.Parse(line.AsSpan(2), CultureInfo.InvariantCulture));
            OnProgress?.Invoke();
            return;
        }

        if (line.StartsWith("S ", StringComparison.Ordinal))
        {
            OnStarted?.Invoke(long.Parse(line.AsSpan(2), CultureInfo.InvariantCulture));
            return;
        }

        _lines.Writer.TryWrite(line);
    }

    public void Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the next protocol line starting with <paramref name="prefix"/>; "ERR" lines and an early exit throw.</summary>
    public async Task<string> WaitForAsync(string prefix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(cts.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
                    if (line.StartsWith("ERR ", StringComparison.Ordinal)) throw new InvalidOperationException($"worker process {Id}: {line[4..]}");
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"worker process {Id} did not say {prefix} within {timeout.TotalSeconds:F0} s");
        }

        throw new InvalidOperationException($"worker process {Id} exited (code {(_process.HasExited ? _process.ExitCode : -1)}) before saying {prefix}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    Send("STOP");
                }
                catch (IOException)
                {
                    // Its stdin is already closed; the kill below ends it.
                }

                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await _process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    _context.Info($"worker process {Id} did not stop; killing it");
                }
            }
        }
        finally
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}
