using System.Collections.Concurrent;
using System.Diagnostics;
using Orchestration.Testing;

namespace Orchestration.EndToEnd.Tests.Jobs;

/// <summary>The sample remote executor as a real child process; disposing kills it by PID.</summary>
internal sealed class ExecutorProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ExecutorProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string Dll => Path.Combine(RepoPaths.Root, "samples", "Orchestration.Executor", "bin", RepoPaths.Configuration, "net10.0", "Orchestration.Executor.dll");

    public int Id => _process.Id;

    public string Output => string.Join(Environment.NewLine, _output);

    public static ExecutorProcess Start(Uri server, string apiKey, string executorId, string workDirectory)
    {
        if (!File.Exists(Dll)) throw new InvalidOperationException($"The executor is not built at {Dll}; build the solution first.");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workDirectory };
        psi.ArgumentList.Add(Dll);
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["Executor__Server"] = server.ToString();
        psi.Environment["Executor__ApiKey"] = apiKey;
        psi.Environment["Executor__Id"] = executorId;
        psi.Environment["Executor__HeartbeatSeconds"] = "1";
        psi.Environment["Executor__PollSeconds"] = "0.2";
        // The test binary server is on loopback; every other private or metadata address stays refused.
        psi.Environment["Executor__AllowedNetworks__0"] = "127.0.0.0/8";
        psi.Environment["Executor__WorkDirectory"] = workDirectory;
        return new ExecutorProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start the executor"));
    }

    /// <summary>Sends SIGINT, as Ctrl+C does, and returns the exit code, or null if it did not exit in time.</summary>
    public async Task<int?> InterruptAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}
