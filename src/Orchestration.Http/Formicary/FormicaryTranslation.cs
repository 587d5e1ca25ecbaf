using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Formicary;

/// <summary>What a request asks for, checked: the definition version, its parsed form and the request's own fields.</summary>
internal sealed record FormicarySubmission(
    JobDefinition Stored,
    FormicaryDefinition Definition,
    JsonObject Params,
    int Priority,
    DateTimeOffset? ScheduledAt);

/// <summary>
/// Turns a Formicary job definition and a request's params into the engine's run: the one place that decides how
/// Formicary's task graph, retries, timeouts and task methods become a <see cref="RunSpec"/>. Routing the engine does
/// not offer to this family yet (on_failed, on_exit_code, always_run, allow_failure, MANUAL tasks) and scheduled
/// starts are refused with 422 "not supported yet: field" rather than run differently from what the definition says.
/// </summary>
internal sealed class FormicaryTranslation(IReadOnlySet<string> inProcessTypes)
{
    /// <summary>The built-in task type that runs a binary; see docs/exec.md.</summary>
    public const string ExecType = "exec";

    public static ApiException NotSupported(string field) =>
        new(StatusCodes.Status422UnprocessableEntity, "not supported yet: " + field);

    public RunSpec ToRunSpec(string orgId, FormicarySubmission submission, DateTimeOffset now)
    {
        var definition = submission.Definition;
        var unsupported = definition.Tasks.SelectMany(t => t.UnsupportedFields).ToList();
        if (unsupported.Count > 0) throw NotSupported(string.Join(", ", unsupported));
        if (submission.ScheduledAt is { } at && at > now) throw NotSupported("scheduled_at (a request runs when it is submitted)");

        var chain = Chain(definition);
        var jobVariables = definition.Document["job_variables"] as JsonObject;
        var tasks = new List<TaskSpec>(chain.Count);
        FormicaryTask? previous = null;
        foreach (var task in chain)
        {
            var variables = task.Source["variables"] as JsonObject;
            string? Lookup(string name) =>
                submission.Params.TryGetPropertyValue(name, out var p) ? GoTemplate.Text(p)
                : variables is not null && variables.TryGetPropertyValue(name, out var v) ? GoTemplate.Text(v)
                : jobVariables is not null && jobVariables.TryGetPropertyValue(name, out var j) ? GoTemplate.Text(j)
                : null;
            var rendered = (JsonObject)GoTemplate.Render(task.Source, Lookup, task.Field)!;
            var (type, input) = Handler(task, rendered, submission.Params);
            var retries = task.Retry ?? definition.Retry;
            var delay = definition.DelayBetweenRetries ?? TimeSpan.FromSeconds(1);
            tasks.Add(new TaskSpec
            {
                Name = task.TaskType,
                Type = type,
                InputJson = input.ToJsonString(),
                Priority = submission.Priority,
                DependsOn = previous is null ? [] : [previous.TaskType],
                // Formicary waits the same delay before every retry: no backoff, no jitter.
                RetryPolicy = new RetryPolicy(retries + 1, delay, delay, 1.0, 0),
                MaxRetries = retries,
                Timeout = task.Timeout,
            });
            previous = task;
        }

        var metadata = new JsonObject
        {
            ["job_definition_id"] = submission.Stored.Id,
            ["job_type"] = definition.JobType,
            ["job_version"] = submission.Stored.Version,
            ["job_priority"] = submission.Priority,
            ["platform"] = definition.Platform,
            ["params"] = submission.Params.DeepClone(),
            ["scheduled_at"] = submission.ScheduledAt?.UtcDateTime,
        };
        return new RunSpec
        {
            OrgId = orgId,
            Family = FormicaryJson.Family,
            Name = definition.JobType,
            InputJson = submission.Params.ToJsonString(),
            MetadataJson = metadata.ToJsonString(),
            Timeout = definition.Timeout,
            Tasks = tasks,
        };
    }

    /// <summary>
    /// The tasks that run, in order: Formicary starts at the first task and follows <c>on_completed</c>. Tasks no
    /// <c>on_completed</c> leads to are reached only through failure routing, which is refused before this runs.
    /// </summary>
    private static List<FormicaryTask> Chain(FormicaryDefinition definition)
    {
        var byType = definition.Tasks.ToDictionary(t => t.TaskType, StringComparer.Ordinal);
        var chain = new List<FormicaryTask>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var task = definition.Tasks[0]; ; task = byType[task.OnCompleted])
        {
            if (!seen.Add(task.TaskType)) throw new ApiException(StatusCodes.Status400BadRequest, $"{task.Field}.task_type: on_completed leads back to '{task.TaskType}' (a cycle)");
            chain.Add(task);
            if (task.OnCompleted is null) return chain;
        }
    }

    /// <summary>
    /// Which handler runs a task: an in-process handler registered for its <c>task_type</c>; otherwise, for a
    /// <c>script</c> with no method or method SHELL, the exec type; otherwise the method in lower case (an in-process
    /// handler of that name, or a remote executor claiming it).
    /// </summary>
    private (string Type, JsonObject Input) Handler(FormicaryTask task, JsonObject rendered, JsonObject parameters)
    {
        JsonObject General()
        {
            var input = (JsonObject)rendered.DeepClone();
            input["params"] = parameters.DeepClone();
            return input;
        }

        if (inProcessTypes.Contains(task.TaskType)) return (task.TaskType, General());
        var method = task.Method;
        if (rendered["script"] is JsonArray script && (method is null || string.Equals(method, "SHELL", StringComparison.OrdinalIgnoreCase)))
        {
            if (!inProcessTypes.Contains(ExecType))
                throw new ApiException(StatusCodes.Status400BadRequest, $"{task.Field}.script needs the exec task type, which this host has not enabled (Orchestration:Exec:RunInHost)");
            if (rendered["binary_url"] is not JsonValue url || url.GetValueKind() != JsonValueKind.String
                || rendered["binary_sha256"] is not JsonValue sha || sha.GetValueKind() != JsonValueKind.String)
                throw new ApiException(StatusCodes.Status400BadRequest, $"{task.Field}: a script runs through exec, which needs binary_url and binary_sha256 (no shell runs scripts)");
            var exec = new JsonObject
            {
                ["binary_url"] = url.DeepClone(),
                ["binary_sha256"] = sha.DeepClone(),
                ["arguments"] = script.DeepClone(),
            };
            if (rendered["environment"] is JsonObject environment)
                exec["env_variables"] = new JsonObject(environment.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)JsonValue.Create(GoTemplate.Text(e.Value)))));
            if (task.Timeout is { } timeout) exec["timeout_seconds"] = timeout.TotalSeconds;
            return (ExecType, exec);
        }

        return (method?.ToLowerInvariant() ?? task.TaskType, General());
    }

    /// <summary>The params of a request: a JSON object, or none.</summary>
    public static JsonObject Params(JsonElement? element, int maxEntries)
    {
        if (element is not { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } value) return [];
        if (value.ValueKind != JsonValueKind.Object) throw ApiException.Validation("params", "must be an object");
        var obj = JsonObject.Create(value)!;
        if (obj.Count > maxEntries) throw ApiException.Validation("params", $"must hold at most {maxEntries} entries");
        return (JsonObject)obj.DeepClone();
    }
}
