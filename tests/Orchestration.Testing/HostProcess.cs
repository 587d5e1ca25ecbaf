using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orchestration.Testing;

/// <summary>
/// The sample host running as a real child process (<c>dotnet Orchestration.Host.dll</c>, no rebuild), configured
/// through environment variables, with its output kept for diagnostics. Disposing kills it by PID.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private HostProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The loopback port the host listens on.</summary>
    public int Port { get; }

    /// <summary>Base address, e.g. <c>http://127.0.0.1:5123</c>.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether it has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything it printed so far.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts the host with these settings (keys in configuration form, e.g. <c>Orchestration:Storage</c>).</summary>
    public static HostProcess Start(IReadOnlyDictionary<string, string> settings, string workingDirectory)
    {
        if (!File.Exists(RepoPaths.HostDll))
            throw new InvalidOperationException($"The sample host is not built at {RepoPaths.HostDll}; build the solution first.");
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(RepoPaths.HostDll);
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings) psi.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the host");
        return new HostProcess(process, port);
    }

    /// <summary>Waits until <c>GET /health</c> answers 200, or fails with the host's output.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the host exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var response = await http.GetAsync(new Uri("/health", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Slow start on a loaded machine.
            }

            await Task.Delay(PollInterval);
        }

        throw new TimeoutException($"the host did not become healthy within {timeout}:\n{Output}");
    }

    /// <summary>Waits for the process to end on its own and returns its exit code, or fails with its output.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the host did not exit within {timeout}:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Kills the process tree at once (a crash, as far as the engine can tell).</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>Kills the host if it is still running.</summary>
    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
