using System.Collections.Concurrent;
using System.Diagnostics;

namespace Orchestration.EndToEnd.Tests.Postgres;

/// <summary>Worker host child processes (Orchestration.Postgres.TestHost) started from the built output; killed by PID on dispose.</summary>
internal sealed class HostFleet(string connectionString, string schema, int leaseMs) : IAsyncDisposable
{
    private static readonly TimeSpan ReadyBound = TimeSpan.FromSeconds(60);
    private readonly List<(string Id, Process Process)> _hosts = [];
    private readonly ConcurrentQueue<string> _output = new();

    public async Task<string> StartAsync(string executorId)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Orchestration.Postgres.TestHost.dll");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add($"--ConnectionStrings:Orchestration={connectionString}");
        psi.ArgumentList.Add($"--Schema={schema}");
        psi.ArgumentList.Add($"--ExecutorId={executorId}");
        psi.ArgumentList.Add($"--LeaseMs={leaseMs}");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (e.Data.Contains("testhost: ready", StringComparison.Ordinal)) ready.TrySetResult();
            Keep($"[{executorId}] {e.Data}");
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Keep($"[{executorId}!] {e.Data}");
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"host {executorId} exited early:\n{Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _hosts.Add((executorId, process));
        await ready.Task.WaitAsync(ReadyBound);
        return executorId;
    }

    public void Kill(string executorId)
    {
        var (_, process) = _hosts.Single(h => h.Id == executorId);
        process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }

    public string Output => string.Join('\n', _output.TakeLast(80));

    private void Keep(string line)
    {
        _output.Enqueue(line);
        while (_output.Count > 2000) _output.TryDequeue(out _);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, process) in _hosts)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                // Already gone.
            }
            finally
            {
                process.Dispose();
            }
        }
    }
}
