using System.Text.Json;
using Orchestration.Domain;
using Orchestration.Http.Foreman.Contracts;

namespace Orchestration.Http.Foreman;

/// <summary>Foreman's JSON settings and the mapping from domain objects to its contracts.</summary>
internal static class ForemanJson
{
    public const string Family = "foreman";

    /// <summary>camelCase as in the seeds; contract types also name every property explicitly.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    public static JsonElement? Element(string? json)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    /// <summary>JSON text to store; an explicit JSON null is stored as absent.</summary>
    public static string? Text(JsonElement? element) =>
        element is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } e ? e.GetRawText() : null;

    public static RunResponse ToContract(Run run) => new()
    {
        Id = run.Id,
        OrgId = run.OrgId,
        Status = run.Status.ToWire(),
        InputData = Element(run.InputJson),
        OutputData = Element(run.OutputJson),
        ErrorData = Element(run.ErrorJson),
        Metadata = Element(run.MetadataJson),
        TotalTasks = run.TotalTasks,
        CompletedTasks = run.CompletedTasks,
        FailedTasks = run.FailedTasks,
        CreatedAt = run.CreatedAt.UtcDateTime,
        UpdatedAt = run.UpdatedAt.UtcDateTime,
        StartedAt = run.StartedAt?.UtcDateTime,
        CompletedAt = run.CompletedAt?.UtcDateTime,
        DurationMs = DurationMs(run.StartedAt, run.CompletedAt),
    };

    public static TaskResponse ToContract(TaskRun task) => new()
    {
        Id = task.Id,
        RunId = task.RunId,
        ParentTaskId = task.ParentTaskId,
        OrgId = task.OrgId,
        Type = task.Type,
        Status = task.Status.ToWire(),
        InputData = Element(task.InputJson),
        OutputData = Element(task.OutputJson),
        ErrorData = Element(task.ErrorJson),
        Metadata = Element(task.MetadataJson),
        // Attempts count the first try; Foreman counts retries.
        RetryCount = Math.Max(0, task.Attempt - 1),
        MaxRetries = task.RetryPolicy.MaxAttempts - 1,
        CreatedAt = task.CreatedAt.UtcDateTime,
        UpdatedAt = task.UpdatedAt.UtcDateTime,
        QueuedAt = task.QueuedAt?.UtcDateTime,
        StartedAt = task.StartedAt?.UtcDateTime,
        CompletedAt = task.CompletedAt?.UtcDateTime,
        DurationMs = DurationMs(task.StartedAt, task.CompletedAt),
        QueueJobId = task.QueueJobId,
    };

    public static RunDataResponse ToContract(RunDataEntry entry) => new()
    {
        Id = entry.Id,
        RunId = entry.RunId,
        TaskId = entry.TaskId,
        OrgId = entry.OrgId,
        Key = entry.Key,
        Value = Element(entry.ValueJson),
        Tags = entry.Tags,
        Metadata = Element(entry.MetadataJson),
        CreatedAt = entry.CreatedAt.UtcDateTime,
        UpdatedAt = entry.UpdatedAt.UtcDateTime,
    };

    private static long? DurationMs(DateTimeOffset? started, DateTimeOffset? completed) =>
        started is { } s && completed is { } c && c >= s ? (long)(c - s).TotalMilliseconds : null;

    public static IResult Ok<T>(T body, int status = StatusCodes.Status200OK) => Results.Json(body, Options, statusCode: status);
}
