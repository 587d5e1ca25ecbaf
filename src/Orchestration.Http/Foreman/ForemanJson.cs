using System.Text.Json;
using Orchestration.Domain;
using Orchestration.Http.Foreman.Contracts;
using Orchestration.Http.Platform;

namespace Orchestration.Http.Foreman;

/// <summary>Foreman's JSON settings and the mapping from domain objects to its contracts.</summary>
internal static class ForemanJson
{
    public const string Family = "foreman";

    /// <summary>camelCase as in Foreman's API reference; contract types also name every property explicitly.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>A stored payload as a response value; never one that breaks the response (see <see cref="StoredJson"/>).</summary>
    public static JsonElement? Element(string? json, int? maxBytes = null) => StoredJson.Element(json, maxBytes);

    /// <summary>JSON text to store; an explicit JSON null is stored as absent.</summary>
    public static string? Text(JsonElement? element) =>
        element is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } e ? e.GetRawText() : null;

    /// <param name="run">The run.</param>
    /// <param name="maxPayloadBytes">In lists, the largest payload shown inline; null shows every payload.</param>
    public static RunResponse ToContract(Run run, int? maxPayloadBytes = null) => new()
    {
        Id = run.Id,
        OrgId = StoredJson.Text(run.OrgId),
        Status = run.Status.ToWire(),
        InputData = Element(run.InputJson, maxPayloadBytes),
        OutputData = Element(run.OutputJson, maxPayloadBytes),
        ErrorData = Element(run.ErrorJson, maxPayloadBytes),
        Metadata = Element(run.MetadataJson, maxPayloadBytes),
        TotalTasks = run.TotalTasks,
        CompletedTasks = run.CompletedTasks,
        FailedTasks = run.FailedTasks,
        CreatedAt = run.CreatedAt.UtcDateTime,
        UpdatedAt = run.UpdatedAt.UtcDateTime,
        StartedAt = run.StartedAt?.UtcDateTime,
        CompletedAt = run.CompletedAt?.UtcDateTime,
        DurationMs = DurationMs(run.StartedAt, run.CompletedAt),
    };

    /// <param name="task">The task.</param>
    /// <param name="maxPayloadBytes">In lists, the largest payload shown inline; null shows every payload.</param>
    public static TaskResponse ToContract(TaskRun task, int? maxPayloadBytes = null) => new()
    {
        Id = task.Id,
        RunId = task.RunId,
        ParentTaskId = task.ParentTaskId,
        OrgId = StoredJson.Text(task.OrgId),
        Type = StoredJson.Text(task.Type),
        Status = task.Status.ToWire(),
        InputData = Element(task.InputJson, maxPayloadBytes),
        OutputData = Element(task.OutputJson, maxPayloadBytes),
        ErrorData = Element(task.ErrorJson, maxPayloadBytes),
        Metadata = Element(task.MetadataJson, maxPayloadBytes),
        // Attempts count the first try; Foreman counts retries.
        RetryCount = Math.Max(0, task.Attempt - 1),
        MaxRetries = task.RetryPolicy.MaxAttempts - 1,
        CreatedAt = task.CreatedAt.UtcDateTime,
        UpdatedAt = task.UpdatedAt.UtcDateTime,
        QueuedAt = task.QueuedAt?.UtcDateTime,
        StartedAt = task.StartedAt?.UtcDateTime,
        CompletedAt = task.CompletedAt?.UtcDateTime,
        DurationMs = DurationMs(task.StartedAt, task.CompletedAt),
        QueueJobId = StoredJson.NullableText(task.QueueJobId),
    };

    public static RunDataResponse ToContract(RunDataEntry entry) => new()
    {
        Id = entry.Id,
        RunId = entry.RunId,
        TaskId = entry.TaskId,
        OrgId = StoredJson.Text(entry.OrgId),
        Key = StoredJson.Text(entry.Key),
        Value = Element(entry.ValueJson),
        Tags = entry.Tags.Select(StoredJson.Text).ToList(),
        Metadata = Element(entry.MetadataJson),
        CreatedAt = entry.CreatedAt.UtcDateTime,
        UpdatedAt = entry.UpdatedAt.UtcDateTime,
    };

    private static long? DurationMs(DateTimeOffset? started, DateTimeOffset? completed) =>
        started is { } s && completed is { } c && c >= s ? (long)(c - s).TotalMilliseconds : null;

    public static IResult Ok<T>(T body, int status = StatusCodes.Status200OK) => Results.Json(body, Options, statusCode: status);
}
