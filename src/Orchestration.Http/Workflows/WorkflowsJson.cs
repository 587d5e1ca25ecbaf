using System.Text.Json;
using Orchestration.Domain;
using Orchestration.Http.Platform;
using Orchestration.Http.Workflows.Contracts;

namespace Orchestration.Http.Workflows;

/// <summary>The workflows family's name, JSON settings, status names and the mapping from runs and tasks to its contracts.</summary>
internal static class WorkflowsJson
{
    /// <summary>The family recorded on every run this API creates (see <c>Run.Family</c>).</summary>
    public const string Family = "workflows";

    /// <summary>Contracts name every property explicitly (snake_case as in FlowCtl's API reference).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Workflow statuses of FlowCtl's API reference; the engine's run statuses carry the same names.</summary>
    public static readonly IReadOnlyList<string> StatusNames = ["pending", "running", "completed", "failed", "cancelled"];

    /// <summary>
    /// FlowCtl's task statuses are pending, running, completed, failed, retrying and cancelled. A queued task (ready,
    /// not yet claimed) and one awaiting approval read as pending; a task skipped because an upstream task failed reads
    /// as cancelled: it was never run and never will be.
    /// </summary>
    public static string StatusOf(TaskRunStatus status) => status switch
    {
        TaskRunStatus.Pending or TaskRunStatus.Queued or TaskRunStatus.AwaitingApproval => "pending",
        TaskRunStatus.Running => "running",
        TaskRunStatus.Completed => "completed",
        TaskRunStatus.Failed => "failed",
        TaskRunStatus.Retrying => "retrying",
        TaskRunStatus.Cancelled or TaskRunStatus.Skipped => "cancelled",
        _ => "pending",
    };

    public static WorkflowTaskResponse ToContract(TaskRun task, int? maxPayloadBytes = null) => new()
    {
        Id = task.Id,
        WorkflowId = task.RunId,
        Name = StoredJson.Text(task.Name),
        Type = StoredJson.Text(task.Type),
        Status = StatusOf(task.Status),
        Payload = StoredJson.Element(task.InputJson, maxPayloadBytes),
        Result = StoredJson.Element(task.OutputJson, maxPayloadBytes),
        Error = StoredJson.NullableText(Engine.JsonDefaults.ErrorMessage(task.ErrorJson)),
        // Attempts count the first try; FlowCtl counts retries.
        RetryCount = Math.Max(0, task.Attempt - 1),
        MaxRetries = task.RetryPolicy.MaxAttempts - 1,
        Priority = task.Priority,
        Dependencies = task.Dependencies.Select(StoredJson.Text).ToList(),
        CreatedAt = task.CreatedAt.UtcDateTime,
        UpdatedAt = task.UpdatedAt.UtcDateTime,
        StartedAt = task.StartedAt?.UtcDateTime,
        CompletedAt = task.CompletedAt?.UtcDateTime,
    };

    public static WorkflowResponse ToContract(Run run, IReadOnlyList<TaskRun> tasks, int? maxPayloadBytes = null)
    {
        var stored = Stored(run);
        return new WorkflowResponse
        {
            Id = run.Id,
            Name = StoredJson.Text(run.Name ?? ""),
            Description = StoredJson.Text(stored?.Description ?? ""),
            Status = run.Status.ToWire(),
            Tasks = tasks.Select(t => ToContract(t, maxPayloadBytes)).ToList(),
            Config = stored?.Config ?? WorkflowRules.DefaultConfig,
            CreatedAt = run.CreatedAt.UtcDateTime,
            UpdatedAt = run.UpdatedAt.UtcDateTime,
            StartedAt = run.StartedAt?.UtcDateTime,
            CompletedAt = run.CompletedAt?.UtcDateTime,
        };
    }

    public static string StoredText(StoredWorkflow stored) => JsonSerializer.Serialize(stored, Options);

    public static IResult Ok<T>(T body, int status = StatusCodes.Status200OK) => Results.Json(body, Options, statusCode: status);

    private static StoredWorkflow? Stored(Run run)
    {
        if (string.IsNullOrEmpty(run.MetadataJson)) return null;
        try
        {
            return JsonSerializer.Deserialize<StoredWorkflow>(run.MetadataJson, Options);
        }
        catch (JsonException)
        {
            // Written by this family only; a row that is not its shape still shows its other fields.
            return null;
        }
    }
}
