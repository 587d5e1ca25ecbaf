using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orchestration.Execution;

namespace Orchestration.Exec;

/// <summary>What a finished (or killed) process left behind.</summary>
/// <param name="Output">Captured output; <see cref="ExecOutput.ExitCode"/> is null when the process was killed.</param>
/// <param name="TimedOut">True when the timeout killed the process tree.</param>
internal sealed record ProcessResult(ExecOutput Output, bool TimedOut);

/// <summary>
/// Starts a binary directly (no shell) with literal arguments and a clean environment, captures bounded output, and
/// kills the whole process tree on timeout or cancellation.
/// </summary>
internal sealed partial class ProcessRunner(ExecOptions options, TimeProvider time, ILogger<ProcessRunner> logger)
{
    // Linux ETXTBSY: a binary just written can be briefly "busy" while another thread's fork still holds the write
    // handle (until that child execs). It clears within milliseconds, so a few quick retries are enough.
    private const int TextFileBusy = 26;
    private const int StartAttempts = 5;
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="binary"/> in <paramref name="workDirectory"/>. Returns when the process exited or was
    /// killed by the timeout; throws <see cref="OperationCanceledException"/> (after killing the tree) when
    /// <paramref name="cancellationToken"/> fires, and <see cref="TaskFailedException"/> when the binary cannot start.
    /// </summary>
    public async Task<ProcessResult> RunAsync(
        string binary,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment,
        string workDirectory,
        TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDirectory,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);

        // The host's environment may hold secrets (connection strings, cloud credentials): the child starts from a
        // minimal base instead, and only what the job asked for is added.
        startInfo.Environment.Clear();
        startInfo.Environment["PATH"] = options.BasePath;
        startInfo.Environment["HOME"] = workDirectory;
        startInfo.Environment["TMPDIR"] = workDirectory;
        startInfo.Environment["LANG"] = "C.UTF-8";
        foreach (var (name, value) in environment) startInfo.Environment[name] = value;

        using var process = await StartAsync(startInfo, cancellationToken);
        try
        {
            // The child gets an empty stdin rather than a pipe that never closes.
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child already exited and closed its end; nothing to tell it.
        }

        var stdout = new OutputCapture(options.MaxOutputBytes);
        var stderr = new OutputCapture(options.MaxOutputBytes);
        using var stopReading = new CancellationTokenSource();
        var pumps = Task.WhenAll(
            stdout.PumpAsync(process.StandardOutput.BaseStream, stopReading.Token),
            stderr.PumpAsync(process.StandardError.BaseStream, stopReading.Token));

        using var timeoutSource = timeout is { } t ? new CancellationTokenSource(t, time) : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource?.Token ?? CancellationToken.None);
        var killed = false;
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!process.HasExited)
        {
            KillTree(process);
            killed = true;
            try
            {
                // SIGKILL cannot be ignored, so this normally ends at once; the bound only matters if the kill itself failed.
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(KillWait, time, CancellationToken.None);
            }
            catch (TimeoutException)
            {
                LogKillNotObserved(logger, process.Id, KillWait);
            }
        }
        catch (OperationCanceledException)
        {
            // Exited on its own just as the token fired: report what it did.
        }

        try
        {
            await pumps.WaitAsync(options.OutputDrainTimeout, time, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            // Something the process started still holds the pipes open; stop waiting for it.
            LogOutputNotDrained(logger, process.Id, options.OutputDrainTimeout);
            await stopReading.CancelAsync();
        }

        if (killed && cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);

        var (outText, outTruncated) = stdout.Snapshot();
        var (errText, errTruncated) = stderr.Snapshot();
        var output = new ExecOutput
        {
            Stdout = outText,
            Stderr = errText,
            ExitCode = killed || !process.HasExited ? null : process.ExitCode,
            StdoutTruncated = outTruncated,
            StderrTruncated = errTruncated,
        };
        return new ProcessResult(output, TimedOut: killed);
    }

    private async Task<Process> StartAsync(ProcessStartInfo startInfo, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(10);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Process.Start(startInfo) ?? throw new TaskFailedException("the binary could not be started", retryable: false);
            }
            catch (Win32Exception ex) when (ex.NativeErrorCode == TextFileBusy && attempt < StartAttempts)
            {
                await Task.Delay(delay, time, cancellationToken);
                delay *= 2;
            }
            catch (Win32Exception ex)
            {
                // Not executable, bad interpreter line, wrong architecture: the same binary fails the same way next time.
                throw new TaskFailedException($"the binary could not be started: {ex.Message}", retryable: false);
            }
        }
    }

    private void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited on its own between the wait and the kill.
        }
        catch (Exception ex) when (ex is Win32Exception or NotSupportedException)
        {
            LogKillFailed(logger, ex, process.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Process {Pid} exited but its output pipes stayed open for {Timeout} (a background child?); output after that is dropped")]
    private static partial void LogOutputNotDrained(ILogger logger, int pid, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "Process {Pid} was killed but had not exited after {Wait}")]
    private static partial void LogKillNotObserved(ILogger logger, int pid, TimeSpan wait);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not kill the process tree of {Pid}")]
    private static partial void LogKillFailed(ILogger logger, Exception ex, int pid);
}
