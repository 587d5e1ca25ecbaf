using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestration.Engine;
using Orchestration.Execution;

namespace Orchestration.Exec;

/// <summary>
/// The built-in <c>exec</c> task type: fetch the binary through <see cref="BinaryCache"/> (nothing runs unless its
/// SHA-256 matches), run it in a fresh working directory with <see cref="ProcessRunner"/>, and return its output.
/// A non-zero exit code or a timeout fails the attempt (retryable) with the captured output kept as partial output;
/// bad input, a hash mismatch, a refused URL or an oversized binary fail the task for good.
/// </summary>
internal sealed partial class ExecTaskHandler(BinaryCache cache, ProcessRunner runner, ExecOptions options, ILogger<ExecTaskHandler> logger)
    : ITaskHandler<ExecInput, ExecOutput>
{
    /// <summary>The task type key.</summary>
    public const string TaskType = "exec";

    private const int StderrTailChars = 2000;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public async Task<ExecOutput> HandleAsync(ExecInput input, TaskContext context, CancellationToken cancellationToken)
    {
        var job = ExecJob.From(input, options);
        var binary = await cache.GetAsync(job.Url, job.Sha256, cancellationToken);

        var workDirectory = CreateWorkDirectory(context);
        try
        {
            var result = await runner.RunAsync(binary, job.Arguments, job.Environment, workDirectory, job.Timeout, cancellationToken);
            var output = result.Output;
            // Stored on the task with its completion or failure, where routes on exit codes read it.
            context.ExitCode = output.ExitCode;
            if (result.TimedOut)
            {
                throw new TaskFailedException(
                    $"timed out after {job.Timeout!.Value.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; the process tree was killed",
                    retryable: true,
                    JsonSerializer.Serialize(output, JsonDefaults.Options));
            }

            if (output.ExitCode != 0)
                throw new TaskFailedException(ExitMessage(output), retryable: true, JsonSerializer.Serialize(output, JsonDefaults.Options));
            return output;
        }
        finally
        {
            DeleteWorkDirectory(workDirectory);
        }
    }

    private static string ExitMessage(ExecOutput output)
    {
        var tail = output.Stderr.TrimEnd();
        if (tail.Length > StderrTailChars) tail = "..." + tail[^StderrTailChars..];
        return tail.Length == 0
            ? $"exit code {output.ExitCode} (stderr empty)"
            : $"exit code {output.ExitCode}: {tail}";
    }

    private string CreateWorkDirectory(TaskContext context)
    {
        PrivateDirectory.Ensure(options.WorkDirectoryRoot);
        // Unique per attempt: a retry never sees what an earlier attempt left behind.
        var path = Path.Combine(options.WorkDirectoryRoot, $"{context.TaskId:N}-{context.Attempt}-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, OwnerOnly);
        return path;
    }

    private void DeleteWorkDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The binary may have left directories without write permission; give them back and try once more.
            try
            {
                if (!OperatingSystem.IsWindows())
                {
                    foreach (var dir in Directory.EnumerateDirectories(path, "*", SearchOption.AllDirectories))
                        File.SetUnixFileMode(dir, OwnerOnly);
                }

                Directory.Delete(path, recursive: true);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                LogWorkDirectoryLeft(logger, again, path);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete work directory {Path}")]
    private static partial void LogWorkDirectoryLeft(ILogger logger, Exception ex, string path);
}
