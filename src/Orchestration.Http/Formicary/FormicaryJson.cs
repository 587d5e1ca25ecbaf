using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestration.Domain;
using Orchestration.Http.Formicary.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Storage;

namespace Orchestration.Http.Formicary;

/// <summary>The Formicary family's name, JSON settings, state names and the mapping from runs, tasks and definitions to its wire.</summary>
internal static class FormicaryJson
{
    /// <summary>The family recorded on every run this API creates (see <c>Run.Family</c>).</summary>
    public const string Family = "formicary";

    /// <summary>Contracts name every property explicitly (snake_case as in Formicary's objects).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Every <c>job_state</c> the list filter accepts.</summary>
    public static readonly IReadOnlyList<string> JobStates =
        ["PENDING", "READY", "STARTED", "EXECUTING", "COMPLETED", "FAILED", "CANCELLED", "MANUAL_APPROVAL_REQUIRED"];

    /// <summary>
    /// A request's state from its run and tasks: MANUAL_APPROVAL_REQUIRED while a task awaits review, else a running run
    /// is EXECUTING while a task runs and STARTED between tasks (or while one waits to retry).
    /// </summary>
    public static string JobState(Run run, IReadOnlyList<TaskRun>? tasks) => run.Status switch
    {
        // A job whose first task is MANUAL waits for review before anything ran, so the run may still be pending.
        RunStatus.Pending or RunStatus.Running when tasks is not null && tasks.Any(t => t.Status == TaskRunStatus.AwaitingApproval) => "MANUAL_APPROVAL_REQUIRED",
        RunStatus.Pending => "PENDING",
        RunStatus.Running when tasks is null || tasks.Any(t => t.Status == TaskRunStatus.Running) => "EXECUTING",
        RunStatus.Running => "STARTED",
        RunStatus.Completed => "COMPLETED",
        RunStatus.Failed => "FAILED",
        RunStatus.Cancelled => "CANCELLED",
        _ => "PENDING",
    };

    /// <summary>
    /// The runs a <c>job_state</c> filter lists: exactly those <see cref="JobState"/> shows in that state, so a request is
    /// listed under a state iff reading it shows that state (READY lists what PENDING lists; it is never shown).
    /// </summary>
    public static RunQuery? StateFilter(RunQuery query, string state) => state switch
    {
        "PENDING" or "READY" => query with { Status = RunStatus.Pending, WithoutTaskIn = AwaitingReview },
        "EXECUTING" => query with { Status = RunStatus.Running, WithTaskIn = TaskRunStatus.Running, WithoutTaskIn = AwaitingReview },
        "STARTED" => query with { Status = RunStatus.Running, WithoutTaskIn = [TaskRunStatus.AwaitingApproval, TaskRunStatus.Running] },
        // Pending included: a job whose first task is MANUAL awaits review before anything ran. Only unfinished runs
        // have a task awaiting review (finishing a run ends its tasks).
        "MANUAL_APPROVAL_REQUIRED" => query with { WithTaskIn = TaskRunStatus.AwaitingApproval },
        "COMPLETED" => query with { Status = RunStatus.Completed },
        "FAILED" => query with { Status = RunStatus.Failed },
        "CANCELLED" => query with { Status = RunStatus.Cancelled },
        _ => null,
    };

    private static readonly TaskRunStatus[] AwaitingReview = [TaskRunStatus.AwaitingApproval];

    private static readonly TaskRunStatus[] StateDeciding = [TaskRunStatus.AwaitingApproval, TaskRunStatus.Running];

    /// <summary>
    /// The tasks <see cref="JobState"/> needs to tell a listed request's state, without reading them all: none for a
    /// finished run; else one task awaiting review if there is one, else one running task if there is one.
    /// </summary>
    public static async Task<IReadOnlyList<TaskRun>> StateTasksAsync(IOrchestrationQueries queries, Run run, CancellationToken cancellationToken)
    {
        if (run.Status.IsTerminal()) return [];
        foreach (var status in StateDeciding)
        {
            var page = await queries.ListTasksAsync(new TaskQuery { OrgId = run.OrgId, RunId = run.Id, Status = status, Limit = 1, MaxPayloadChars = 0 }, cancellationToken);
            if (page.Items.Count > 0) return page.Items;
        }

        return [];
    }

    public static string TaskState(TaskRunStatus status) => status switch
    {
        TaskRunStatus.Pending or TaskRunStatus.Retrying => "PENDING",
        TaskRunStatus.Queued => "READY",
        TaskRunStatus.Running => "EXECUTING",
        TaskRunStatus.Completed => "COMPLETED",
        TaskRunStatus.Failed => "FAILED",
        TaskRunStatus.Cancelled => "CANCELLED",
        TaskRunStatus.Skipped => "SKIPPED",
        TaskRunStatus.AwaitingApproval => "MANUAL_APPROVAL_REQUIRED",
        _ => "PENDING",
    };

    /// <summary>A definition version as the wire shows it: the stored document with the server's fields set.</summary>
    public static JsonObject ToContract(JobDefinition definition)
    {
        var result = new JsonObject
        {
            ["id"] = definition.Id,
            ["job_type"] = definition.Name,
            ["version"] = definition.Version,
            ["disabled"] = definition.Disabled,
        };
        if (JsonNode.Parse(definition.DocumentJson) is JsonObject document)
        {
            foreach (var (key, value) in document)
            {
                if (!result.ContainsKey(key)) result[key] = value?.DeepClone();
            }
        }

        result["raw_yaml"] = definition.RawYaml;
        result["created_at"] = definition.CreatedAt.UtcDateTime;
        return result;
    }

    public static JobRequestResponse ToContract(Run run, IReadOnlyList<TaskRun>? tasks, bool withExecution)
    {
        var meta = Metadata(run);
        var state = JobState(run, tasks);
        var version = meta?["job_version"] is JsonValue v && v.TryGetValue<int>(out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return new JobRequestResponse
        {
            Id = run.Id,
            JobDefinitionId = meta?["job_definition_id"]?.GetValue<string>(),
            JobType = StoredJson.Text(run.Name ?? ""),
            JobVersion = version,
            JobState = state,
            JobPriority = meta?["job_priority"] is JsonValue p && p.TryGetValue<int>(out var priority) ? priority : 0,
            Platform = meta?["platform"] is JsonValue pl && pl.TryGetValue<string>(out var platform) ? platform : null,
            Params = meta?["params"]?.DeepClone() ?? new JsonObject(),
            ScheduledAt = meta?["scheduled_at"] is JsonValue s && s.TryGetValue<DateTime>(out var at) ? at : null,
            ErrorCode = run.Status switch { RunStatus.Failed => "ERR_JOB_FAILED", RunStatus.Cancelled => "ERR_JOB_CANCELLED", _ => null },
            ErrorMessage = StoredJson.NullableText(Engine.JsonDefaults.ErrorMessage(run.ErrorJson)),
            CreatedAt = run.CreatedAt.UtcDateTime,
            UpdatedAt = run.UpdatedAt.UtcDateTime,
            Execution = withExecution && tasks is not null ? new JobExecutionResponse
            {
                Id = run.Id,
                JobState = state,
                StartedAt = run.StartedAt?.UtcDateTime,
                EndedAt = run.CompletedAt?.UtcDateTime,
                Tasks = tasks.Select(ToContract).ToList(),
            } : null,
        };
    }

    private static TaskExecutionResponse ToContract(TaskRun task)
    {
        var output = StoredJson.Element(task.OutputJson);
        int? exitCode = null;
        string? stdout = null;
        if (output is { ValueKind: JsonValueKind.Object } o)
        {
            if (o.TryGetProperty("exit_code", out var code) && code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var c)) exitCode = c;
            if (o.TryGetProperty("stdout", out var text) && text.ValueKind == JsonValueKind.String) stdout = text.GetString();
        }

        return new TaskExecutionResponse
        {
            Id = task.Id,
            TaskType = StoredJson.Text(task.Name),
            Method = StoredJson.Text(task.Type),
            TaskState = TaskState(task.Status),
            ExitCode = task.ExitCode ?? exitCode,
            ExitMessage = StoredJson.NullableText(Engine.JsonDefaults.ErrorMessage(task.ErrorJson)),
            AntId = task.ExecutorId,
            Retried = Math.Max(0, task.Attempt - 1),
            StartedAt = task.StartedAt?.UtcDateTime,
            EndedAt = task.CompletedAt?.UtcDateTime,
            Stdout = stdout,
            Context = output,
            Review = task.Review is { } review ? new TaskReviewResponse
            {
                ReviewedBy = StoredJson.Text(review.Reviewer),
                ReviewedAt = review.ReviewedAt.UtcDateTime,
                Status = review.Approved ? "APPROVED" : "REJECTED",
                Approved = review.Approved,
                Comments = StoredJson.NullableText(review.Comments),
            } : null,
        };
    }

    public static IResult Ok<T>(T body, int status = StatusCodes.Status200OK) => Results.Json(body, Options, statusCode: status);

    /// <summary>Formicary answers 200 with an empty body for disable, enable, delete, cancel and restart.</summary>
    public static IResult Empty() => Results.Ok();

    private static JsonObject? Metadata(Run run)
    {
        if (string.IsNullOrEmpty(run.MetadataJson)) return null;
        try
        {
            return JsonNode.Parse(run.MetadataJson) as JsonObject;
        }
        catch (JsonException)
        {
            // Written by this family only; a row that is not its shape still shows its other fields.
            return null;
        }
    }
}
