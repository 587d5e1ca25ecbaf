using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestration.Domain;

namespace Orchestration.Http.Webhooks;

/// <summary>
/// The names and bodies webhooks (and the events stream) deliver. Runs of the workflows family carry FlowCtl's nine
/// names (<c>workflow.*</c> and <c>task.*</c>); runs of the job queue get <c>job.*</c> for their run events; every other
/// family's events keep the engine's names (<c>run.*</c>, <c>task.*</c>). The body is FlowCtl's
/// <c>{event, timestamp, data}</c> with snake_case data.
/// </summary>
internal static class WebhookEvents
{
    public const string WorkflowsFamily = "workflows";
    public const string JobsFamily = "jobs";

    /// <summary>The seed's nine workflow event names.</summary>
    public static IReadOnlyList<string> WorkflowEvents { get; } =
    [
        "workflow.created", "workflow.started", "workflow.completed", "workflow.failed", "workflow.cancelled",
        "task.started", "task.completed", "task.failed", "task.retrying",
    ];

    /// <summary>Every name an endpoint may subscribe to; <c>*</c> means all.</summary>
    public static IReadOnlySet<string> Known { get; } = new HashSet<string>(
        WorkflowEvents
            .Concat([EventTypes.RunCreated, EventTypes.RunStarted, EventTypes.RunCompleted, EventTypes.RunFailed, EventTypes.RunCancelled, EventTypes.RunRestarted])
            .Concat([EventTypes.TaskCreated, EventTypes.TaskCancelled, EventTypes.TaskSkipped, EventTypes.TaskUpdated, EventTypes.TaskRetried])
            .Concat(["job.created", "job.started", "job.completed", "job.failed", "job.cancelled", "job.restarted"])
            .Append("*"),
        StringComparer.Ordinal);

    /// <summary>The delivered name of an engine event of a run of <paramref name="family"/> (null when the run is gone).</summary>
    public static string NameOf(string engineType, string? family)
    {
        if (!engineType.StartsWith("run.", StringComparison.Ordinal)) return engineType;
        return family switch
        {
            WorkflowsFamily => "workflow." + engineType[4..],
            JobsFamily => "job." + engineType[4..],
            _ => engineType,
        };
    }

    /// <summary>True when an endpoint subscribed to <paramref name="subscribed"/> wants <paramref name="name"/>.</summary>
    public static bool Wants(IReadOnlyList<string> subscribed, string name) =>
        subscribed.Contains("*") || subscribed.Contains(name);

    /// <summary>
    /// The JSON body: <c>{"event", "timestamp", "data"}</c>. Data names the run (<c>workflow_id</c> and
    /// <c>workflow_name</c> for workflows, <c>run_id</c> otherwise), the task for task events (with <c>workflow_id</c>),
    /// the status the event moved to, and the engine's detail (error, attempt) when it recorded one.
    /// </summary>
    public static string Body(EngineEvent e, string name, Run? run, TaskRun? task)
    {
        var data = new JsonObject();
        var isWorkflow = run?.Family == WorkflowsFamily;
        if (isWorkflow)
        {
            data["workflow_id"] = e.RunId.ToString();
            if (task is null) data["workflow_name"] = run!.Name;
        }
        else
        {
            data["run_id"] = e.RunId.ToString();
            if (run is not null) data["family"] = run.Family;
        }

        if (e.TaskId is { } taskId)
        {
            data["task_id"] = taskId.ToString();
            if (task is not null)
            {
                data["task_name"] = task.Name;
                data["task_type"] = task.Type;
            }

            // FlowCtl's receivers group task events by workflow; every family's task events carry it.
            data["workflow_id"] = e.RunId.ToString();
        }

        data["status"] = StatusOf(name);
        if (e.DataJson is { Length: > 0 } detail)
        {
            try
            {
                if (JsonNode.Parse(detail) is JsonObject extra)
                {
                    foreach (var (key, value) in extra)
                    {
                        var snake = SnakeCase(key);
                        if (!data.ContainsKey(snake)) data[snake] = value?.DeepClone();
                    }
                }
            }
            catch (JsonException)
            {
                // Detail is written by the engine as JSON; if it ever is not, the event still goes out without it.
            }
        }

        var body = new JsonObject
        {
            ["event"] = name,
            ["timestamp"] = e.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["data"] = data,
        };
        return body.ToJsonString();
    }

    private static string StatusOf(string name)
    {
        var verb = name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..];
        return verb switch
        {
            "created" => "pending",
            "started" => "running",
            "restarted" => "pending",
            _ => verb,
        };
    }

    private static string SnakeCase(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
