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
/// Formicary's task graph (edges become engine routes), retries, timeouts, task methods and scheduled starts become a
/// <see cref="RunSpec"/>.
/// </summary>
internal sealed class FormicaryTranslation(IReadOnlySet<string> inProcessTypes)
{
    /// <summary>The built-in task type that runs a binary; see docs/exec.md.</summary>
    public const string ExecType = "exec";

    public RunSpec ToRunSpec(string orgId, FormicarySubmission submission, DateTimeOffset now)
    {
        var definition = submission.Definition;
        var reached = Reached(definition);
        var routes = Routes(definition, reached);
        var jobVariables = definition.Document["job_variables"] as JsonObject;
        var tasks = new List<TaskSpec>(reached.Count);
        var limitKey = definition.MaxConcurrency is null ? null : ConcurrencyKeyOf(orgId, definition.JobType);
        foreach (var task in reached)
        {
            var variables = task.Source["variables"] as JsonObject;
            string? Lookup(string name) =>
                submission.Params.TryGetPropertyValue(name, out var p) ? GoTemplate.Text(p)
                : variables is not null && variables.TryGetPropertyValue(name, out var v) ? GoTemplate.Text(v)
                : jobVariables is not null && jobVariables.TryGetPropertyValue(name, out var j) ? GoTemplate.Text(j)
                : null;
            var rendered = (JsonObject)GoTemplate.Render(task.Source, Lookup, task.Field)!;
            var (type, input) = task.Manual ? (TaskTypes.Approval, General(rendered, submission.Params)) : Handler(task, rendered, submission.Params);
            var retries = task.Retry ?? definition.Retry;
            var delay = definition.DelayBetweenRetries ?? TimeSpan.FromSeconds(1);
            tasks.Add(new TaskSpec
            {
                Name = task.TaskType,
                Type = type,
                InputJson = input.ToJsonString(),
                Priority = submission.Priority,
                Routes = routes[task.TaskType],
                AllowFailure = task.AllowFailure,
                // Formicary waits the same delay before every retry: no backoff, no jitter.
                RetryPolicy = new RetryPolicy(retries + 1, delay, delay, 1.0, 0),
                MaxRetries = retries,
                Timeout = task.Timeout,
                // max_concurrency: every task of every request of the job type shares one key limited to it.
                ConcurrencyKey = limitKey,
                ConcurrencyLimit = definition.MaxConcurrency,
            });
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
            // A time already past runs at once; the engine holds a later one until then.
            ScheduledAt = submission.ScheduledAt is { } at && at > now ? at : null,
            Tasks = tasks,
        };
    }

    /// <summary>
    /// The concurrency key of a job type's tasks, scoped by org: the literal text (a job type is free text, so braces
    /// that would read as template placeholders are replaced), hashed when it would pass the engine's key length.
    /// </summary>
    internal static string ConcurrencyKeyOf(string orgId, string jobType)
    {
        var key = ("formicary:" + orgId + ":" + jobType).Replace('{', '(').Replace('}', ')');
        if (key.Length <= ConcurrencyKeyMaxLength) return key;
        return "formicary:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(orgId + "\n" + jobType)));
    }

    private const int ConcurrencyKeyMaxLength = 255;

    /// <summary>
    /// The tasks a request can run, in definition order: Formicary starts at the first task and follows its edges
    /// (<c>on_completed</c>, <c>on_failed</c>, <c>on_exit_code</c>); <c>always_run</c> tasks run at the end whatever
    /// happened. A task none of these reaches could never run, so it is not created.
    /// </summary>
    private static List<FormicaryTask> Reached(FormicaryDefinition definition)
    {
        var byType = definition.Tasks.ToDictionary(t => t.TaskType, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<FormicaryTask>(definition.Tasks.Where(t => t.AlwaysRun).Prepend(definition.Tasks[0]));
        while (pending.TryPop(out var task))
        {
            if (!seen.Add(task.TaskType)) continue;
            foreach (var target in task.Targets) pending.Push(byType[target]);
        }

        return definition.Tasks.Where(t => seen.Contains(t.TaskType)).ToList();
    }

    /// <summary>
    /// The engine routes of every reached task. An edge becomes a route on its target: <c>on_completed</c> (and the
    /// COMPLETED key of <c>on_exit_code</c>) a Completed route, <c>on_failed</c> (and FAILED) a Failed route, numeric
    /// <c>on_exit_code</c> keys an ExitCode route (codes to the same target are one route); the outcome routes of a task
    /// with numeric <c>on_exit_code</c> keys do not match those codes (<see cref="TaskRoute.UnlessExitCodes"/>), so a
    /// matching exit code is followed instead of <c>on_completed</c> / <c>on_failed</c>, as in Formicary. An <c>always_run</c> task
    /// gets Finished routes instead of its incoming edges: from the <c>always_run</c> tasks that lead to it when there
    /// are any (so cleanups keep their order), else from every task that ends the job's main graph (the tasks reached
    /// without passing an <c>always_run</c> task, whose edges lead nowhere else). Edges into the first task are
    /// refused as a cycle would be: it starts the job.
    /// </summary>
    private static Dictionary<string, IReadOnlyList<TaskRoute>> Routes(FormicaryDefinition definition, List<FormicaryTask> reached)
    {
        var byType = reached.ToDictionary(t => t.TaskType, StringComparer.Ordinal);
        var first = definition.Tasks[0];
        var incoming = reached.ToDictionary(t => t.TaskType, _ => new List<TaskRoute>(), StringComparer.Ordinal);
        foreach (var task in reached)
        {
            // Formicary follows a matching on_exit_code entry instead of the outcome's edge: the outcome routes give way
            // to the task's exit codes.
            var taken = task.OnExitCode.Where(e => e.Code is not null).Select(e => e.Code!.Value).Distinct().Order().ToArray();
            void Add(string target, RouteOn on, int[]? codes = null)
            {
                if (target == first.TaskType) throw new ApiException(StatusCodes.Status400BadRequest, $"{task.Field}: leads back to the first task '{target}' (a cycle)");
                incoming[target].Add(new TaskRoute(task.TaskType, on, codes) { UnlessExitCodes = on != RouteOn.ExitCode && taken.Length > 0 ? taken : null });
            }

            if (task.OnCompleted is { } completed) Add(completed, RouteOn.Completed);
            if (task.OnFailed is { } failed) Add(failed, RouteOn.Failed);
            foreach (var exit in task.OnExitCode.Where(e => e.Code is null)) Add(exit.Target, exit.OnFailed ? RouteOn.Failed : RouteOn.Completed);
            foreach (var group in task.OnExitCode.Where(e => e.Code is not null).GroupBy(e => e.Target, StringComparer.Ordinal))
                Add(group.Key, RouteOn.ExitCode, group.Select(e => e.Code!.Value).Distinct().Order().ToArray());
        }

        // The main graph: what runs before the always_run tasks.
        var main = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<FormicaryTask>([first]);
        while (pending.TryPop(out var task))
        {
            // The first task starts the job even when it is marked always_run.
            if (task.AlwaysRun && task != first || !main.Add(task.TaskType)) continue;
            foreach (var target in task.Targets) pending.Push(byType[target]);
        }

        var ends = reached.Where(t => main.Contains(t.TaskType) && t.Targets.All(target => byType[target].AlwaysRun)).Select(t => t.TaskType).ToList();
        var result = new Dictionary<string, IReadOnlyList<TaskRoute>>(StringComparer.Ordinal);
        foreach (var task in reached)
        {
            if (!task.AlwaysRun || task == first)
            {
                result[task.TaskType] = Merge(incoming[task.TaskType]);
                continue;
            }

            var fromCleanups = incoming[task.TaskType].Where(r => byType[r.From].AlwaysRun).Select(r => r.From).Distinct(StringComparer.Ordinal).ToList();
            result[task.TaskType] = (fromCleanups.Count > 0 ? fromCleanups : ends).Select(from => new TaskRoute(from, RouteOn.Finished)).ToList();
        }

        return result;
    }

    /// <summary>Two edges of the same kind from one task (on_completed and on_exit_code COMPLETED to the same target) are one route.</summary>
    private static List<TaskRoute> Merge(List<TaskRoute> routes) =>
        routes.GroupBy(r => (r.From, r.On)).Select(g => g.Key.On == RouteOn.ExitCode
            ? new TaskRoute(g.Key.From, RouteOn.ExitCode, g.SelectMany(r => r.ExitCodes!).Distinct().Order().ToArray())
            : g.First()).ToList();

    private static JsonObject General(JsonObject rendered, JsonObject parameters)
    {
        var input = (JsonObject)rendered.DeepClone();
        input["params"] = parameters.DeepClone();
        return input;
    }

    /// <summary>
    /// Which handler runs a task: an in-process handler registered for its <c>task_type</c>; otherwise, for a
    /// <c>script</c> with no method or method SHELL, the exec type; otherwise the method in lower case (an in-process
    /// handler of that name, or a remote executor claiming it).
    /// </summary>
    private (string Type, JsonObject Input) Handler(FormicaryTask task, JsonObject rendered, JsonObject parameters)
    {
        if (inProcessTypes.Contains(task.TaskType)) return (task.TaskType, General(rendered, parameters));
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

        return (method?.ToLowerInvariant() ?? task.TaskType, General(rendered, parameters));
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
