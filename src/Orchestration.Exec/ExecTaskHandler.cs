using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestration.Artifacts;
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
            // Only a host (or executor) that keeps artifacts offers the outputs folder.
            var uploader = context.Services.GetService(typeof(IArtifactUploader)) as IArtifactUploader;
            var environment = job.Environment;
            string? outputs = null;
            if (uploader is not null)
            {
                outputs = Directory.CreateDirectory(Path.Combine(workDirectory, "outputs")).FullName;
                environment = new Dictionary<string, string>(job.Environment) { [OutputsVariable] = outputs };
            }

            var result = await runner.RunAsync(binary, job.Arguments, environment, workDirectory, job.Timeout, cancellationToken);
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
            if (outputs is not null) await UploadOutputsAsync(outputs, uploader!, context, output, cancellationToken);
            return output;
        }
        finally
        {
            DeleteWorkDirectory(workDirectory);
        }
    }

    /// <summary>The variable naming the folder whose files become artifacts of the task when the program exits 0.</summary>
    public const string OutputsVariable = "ORCHESTRATION_OUTPUTS_DIR";

    /// <summary>At most this many files in the outputs folder; more fails the task for good (a program gone wrong, not bad luck).</summary>
    public const int MaxOutputFiles = 20;

    /// <summary>
    /// Regular files directly in the folder, by name; links are skipped (they could point anywhere on the host). Each is
    /// streamed to the artifact store, held to its size limit.
    /// </summary>
    private static async Task UploadOutputsAsync(string outputs, IArtifactUploader uploader, TaskContext context, ExecOutput output, CancellationToken cancellationToken)
    {
        var files = new DirectoryInfo(outputs).EnumerateFiles().Where(f => f.LinkTarget is null).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        if (files.Count > MaxOutputFiles)
            throw new TaskFailedException($"the program left {files.Count} files in its outputs folder; at most {MaxOutputFiles} become artifacts", retryable: false,
                JsonSerializer.Serialize(output, JsonDefaults.Options));
        foreach (var file in files)
        {
            try
            {
                await using var content = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await uploader.UploadAsync(context.Task, new ArtifactUpload
                {
                    OrgId = context.OrgId,
                    Name = file.Name,
                    RunId = context.RunId,
                    TaskId = context.TaskId,
                    TaskType = context.Task.Name ?? context.Task.Type,
                }, content, cancellationToken);
            }
            catch (Exception e) when (e is ArtifactTooLargeException or ArtifactValidationException)
            {
                throw new TaskFailedException($"output file '{file.Name}' was refused as an artifact: {e.Message}", retryable: false,
                    JsonSerializer.Serialize(output, JsonDefaults.Options));
            }
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
