using System.Text;
using System.Text.Json;
using Orchestration.Domain;
using Orchestration.Exec;
using Orchestration.Http.Jobs.Contracts;

namespace Orchestration.Http.Jobs;

/// <summary>The jobs family's JSON settings, priority and status names, and the mapping from tasks to its contracts.</summary>
internal static class JobsJson
{
    public const string Family = "jobs";
    public const string TaskType = "exec";
    public const int MaxOutputBytes = ExecOptions.DefaultMaxOutputBytes;

    /// <summary>Contracts name every property explicitly (snake_case as in the job queue API reference).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    public static readonly IReadOnlyList<(string Name, int Value)> Priorities = [("foreground", 20), ("background", 10), ("best_effort", 0)];

    public static readonly IReadOnlyList<string> StatusNames = ["pending", "running", "completed", "failed", "cancelled"];

    public static bool TryParsePriority(string? name, out int value)
    {
        foreach (var (n, v) in Priorities)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                value = v;
                return true;
            }
        }

        value = 0;
        return false;
    }

    public static string PriorityName(int value) =>
        value >= 20 ? "foreground" : value >= 10 ? "background" : "best_effort";

    /// <summary>The job queue API reference knows five statuses; the engine's waiting states all read as pending.</summary>
    public static string StatusOf(TaskRunStatus status) => status switch
    {
        TaskRunStatus.Pending or TaskRunStatus.Queued or TaskRunStatus.Retrying or TaskRunStatus.AwaitingApproval => "pending",
        TaskRunStatus.Running => "running",
        TaskRunStatus.Completed => "completed",
        TaskRunStatus.Failed or TaskRunStatus.Skipped => "failed",
        TaskRunStatus.Cancelled => "cancelled",
        _ => "pending",
    };

    public static IReadOnlyCollection<TaskRunStatus> TaskStatusesOf(string jobStatus) => jobStatus switch
    {
        "pending" => [TaskRunStatus.Pending, TaskRunStatus.Queued, TaskRunStatus.Retrying, TaskRunStatus.AwaitingApproval],
        "running" => [TaskRunStatus.Running],
        "completed" => [TaskRunStatus.Completed],
        "failed" => [TaskRunStatus.Failed, TaskRunStatus.Skipped],
        "cancelled" => [TaskRunStatus.Cancelled],
        _ => [],
    };

    public static JobSummary ToSummary(TaskRun task) =>
        new(task.RunId, Platform.StoredJson.Text(task.Name), StatusOf(task.Status), PriorityName(task.Priority), Platform.StoredJson.NullableText(task.ExecutorId),
            task.CreatedAt.UtcDateTime, task.StartedAt?.UtcDateTime);

    public static JobDetail ToDetail(TaskRun task, IReadOnlyList<TaskAttempt> attempts)
    {
        var input = Parse<ExecInput>(task.InputJson);
        var output = Parse<ExecOutput>(task.OutputJson);
        return new JobDetail
        {
            Id = task.RunId,
            Type = task.Name,
            BinaryUrl = input?.BinaryUrl,
            BinarySha256 = input?.BinarySha256,
            Arguments = input?.Arguments ?? [],
            EnvVariables = input?.EnvVariables ?? new Dictionary<string, string>(),
            Priority = PriorityName(task.Priority),
            TimeoutSeconds = input?.TimeoutSeconds is { } t ? (int)t : null,
            Status = StatusOf(task.Status),
            ExecutorId = task.ExecutorId,
            Stdout = output?.Stdout,
            Stderr = output?.Stderr,
            ExitCode = output?.ExitCode,
            ErrorMessage = Engine.JsonDefaults.ErrorMessage(task.ErrorJson),
            CreatedAt = task.CreatedAt.UtcDateTime,
            StartedAt = task.StartedAt?.UtcDateTime,
            CompletedAt = task.CompletedAt?.UtcDateTime,
            Attempts = attempts.Select(a => new JobAttempt(a.ExecutorId, a.ExecutorIp, a.StartedAt.UtcDateTime, a.EndedAt?.UtcDateTime, a.Outcome ?? "running")).ToList(),
        };
    }

    /// <summary>
    /// Keeps at most <see cref="MaxOutputBytes"/> UTF-8 bytes, cut on a character boundary: the job queue API reference accepts larger
    /// outputs and stores their start rather than refusing the executor's report.
    /// </summary>
    public static string Truncate(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        if (text.Length <= MaxOutputBytes / 3 || Encoding.UTF8.GetByteCount(text) <= MaxOutputBytes) return text;
        var bytes = Encoding.UTF8.GetBytes(text);
        var cut = MaxOutputBytes;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80) cut--;
        return Encoding.UTF8.GetString(bytes, 0, cut);
    }

    public static string OutputJson(JobResultRequest request) => JsonSerializer.Serialize(new ExecOutput
    {
        Stdout = Truncate(request.Stdout),
        Stderr = Truncate(request.Stderr),
        ExitCode = request.ExitCode,
        StdoutTruncated = request.Stdout is not null && Truncate(request.Stdout).Length != request.Stdout.Length,
        StderrTruncated = request.Stderr is not null && Truncate(request.Stderr).Length != request.Stderr.Length,
    }, Options);

    public static IResult Ok<T>(T body, int status = StatusCodes.Status200OK) => Results.Json(body, Options, statusCode: status);

    private static T? Parse<T>(string? json) where T : class
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options);
        }
        catch (JsonException)
        {
            // A job whose stored JSON is not the exec shape (written by another client) still shows its other fields.
            return null;
        }
    }
}
