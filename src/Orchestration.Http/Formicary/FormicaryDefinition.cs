using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Workflows;

namespace Orchestration.Http.Formicary;

/// <summary>One task of a definition, with the fields the translation reads; <see cref="Source"/> keeps every field.</summary>
internal sealed record FormicaryTask(
    int Index,
    string TaskType,
    string? Method,
    JsonObject Source,
    string? OnCompleted,
    TimeSpan? Timeout,
    int? Retry,
    string? OnFailed,
    IReadOnlyList<FormicaryExitRoute> OnExitCode,
    bool AllowFailure,
    bool AlwaysRun)
{
    public string Field => $"tasks[{Index}]";

    /// <summary>Formicary's MANUAL method: the task waits for a review instead of running.</summary>
    public bool Manual => string.Equals(Method, "MANUAL", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every task this one can lead to, by any edge.</summary>
    public IEnumerable<string> Targets =>
        new[] { OnCompleted, OnFailed }.OfType<string>().Concat(OnExitCode.Select(e => e.Target));
}

/// <summary>
/// One <c>on_exit_code</c> entry: a numeric key is an exit code; Formicary's status keys <c>COMPLETED</c> and
/// <c>FAILED</c> (<see cref="Code"/> null, <see cref="OnFailed"/> telling which) route on the outcome like
/// <c>on_completed</c> / <c>on_failed</c>.
/// </summary>
internal sealed record FormicaryExitRoute(int? Code, bool OnFailed, string Target);

/// <summary>
/// A Formicary job definition as read from JSON or YAML: the document kept as given (every field, known or not, is
/// stored and returned), and the fields that are indexed, validated or translated to the engine. Every refusal is a
/// 400 naming the field.
/// </summary>
internal sealed record FormicaryDefinition(
    string JobType,
    string? Platform,
    IReadOnlyList<string> Tags,
    TimeSpan? Timeout,
    int Retry,
    TimeSpan? DelayBetweenRetries,
    int? MaxConcurrency,
    IReadOnlyList<FormicaryTask> Tasks,
    JsonObject Document)
{
    public const int MaxTasks = 1000;
    public const int MaxRetry = 100;
    public const int MaxMaxConcurrency = 1000;
    public const int MaxDescriptionLength = 4096;
    public const int MaxTags = 50;

    /// <summary>Fields the server sets; a body's values for them are dropped, not stored.</summary>
    public static readonly IReadOnlyList<string> ServerFields = ["id", "version", "disabled", "created_at", "updated_at", "raw_yaml"];

    public static FormicaryDefinition Parse(JsonObject source, LimitOptions limits)
    {
        var document = (JsonObject)source.DeepClone();
        foreach (var field in ServerFields) document.Remove(field);

        var jobType = RequiredString(document, "job_type", limits);
        _ = OptionalString(document, "description", MaxDescriptionLength);
        var platform = OptionalString(document, "platform", limits.MaxIdentifierLength);
        _ = OptionalString(document, "cron_trigger", limits.MaxIdentifierLength);
        var tags = ReadTags(document, "tags", limits);
        var timeout = Duration(document, "timeout");
        var retry = Integer(document, "retry", 0, MaxRetry) ?? 0;
        var delay = Duration(document, "delay_between_retries");
        var maxConcurrency = Integer(document, "max_concurrency", 1, MaxMaxConcurrency);
        if (document["job_variables"] is { } variables && variables is not JsonObject) throw Invalid("job_variables", "must be an object");

        if (document["tasks"] is not JsonArray tasks || tasks.Count == 0) throw Invalid("tasks", "must list at least one task");
        if (tasks.Count > MaxTasks) throw Invalid("tasks", $"must list at most {MaxTasks} tasks");
        var parsed = new List<FormicaryTask>(tasks.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tasks.Count; i++)
        {
            var field = $"tasks[{i}]";
            if (tasks[i] is not JsonObject task) throw Invalid(field, "must be an object");
            var taskType = RequiredString(task, "task_type", limits, field + ".");
            if (!names.Add(taskType)) throw Invalid(field + ".task_type", $"'{taskType}' is used by two tasks");
            var method = OptionalString(task, "method", limits.MaxIdentifierLength, field + ".");
            var onCompleted = OptionalString(task, "on_completed", limits.MaxIdentifierLength, field + ".");
            var onFailed = OptionalString(task, "on_failed", limits.MaxIdentifierLength, field + ".");
            _ = OptionalString(task, "description", MaxDescriptionLength, field + ".");
            if (task["script"] is { } script && (script is not JsonArray lines || lines.Any(l => l is not JsonValue v || v.GetValueKind() != JsonValueKind.String)))
                throw Invalid(field + ".script", "must be a list of strings");
            if (task["variables"] is { } vars && vars is not JsonObject) throw Invalid(field + ".variables", "must be an object");
            var allowFailure = Boolean(task, "allow_failure", field + ".");
            var alwaysRun = Boolean(task, "always_run", field + ".");
            parsed.Add(new FormicaryTask(i, taskType, method, task, onCompleted, Duration(task, "timeout", field + "."),
                Integer(task, "retry", 0, MaxRetry, field + "."), onFailed, ExitRoutes(task, field + ".on_exit_code", limits), allowFailure, alwaysRun));
        }

        foreach (var task in parsed)
        {
            if (task.OnCompleted is { } next && !names.Contains(next)) throw Invalid(task.Field + ".on_completed", $"names no task of this job: '{next}'");
            if (task.OnFailed is { } failed && !names.Contains(failed)) throw Invalid(task.Field + ".on_failed", $"names no task of this job: '{failed}'");
            foreach (var exit in task.OnExitCode)
            {
                var key = exit.Code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? (exit.OnFailed ? "FAILED" : "COMPLETED");
                if (!names.Contains(exit.Target) && exit.Target is "FATAL" or "RESTART_JOB" or "RESTART_TASK" or "ERROR" or "NOTHING")
                    throw Invalid($"{task.Field}.on_exit_code.{key}", $"'{exit.Target}' (Formicary's special target) is not supported: name a task of this job");
                if (!names.Contains(exit.Target)) throw Invalid($"{task.Field}.on_exit_code.{key}", $"names no task of this job: '{exit.Target}'");
            }
        }

        return new FormicaryDefinition(jobType, platform, tags, timeout, retry, delay, maxConcurrency, parsed, document);
    }

    /// <summary>Reads a stored document back; it passed <see cref="Parse"/> when it was saved.</summary>
    public static FormicaryDefinition FromStored(string documentJson, LimitOptions limits) =>
        Parse(JsonNode.Parse(documentJson) as JsonObject ?? throw new InvalidOperationException("A stored definition is not a JSON object."), limits);

    public static ApiException Invalid(string field, string message) => ApiException.Validation(field, message);

    private static string RequiredString(JsonObject obj, string name, LimitOptions limits, string prefix = "")
    {
        var value = OptionalString(obj, name, limits.MaxIdentifierLength, prefix);
        if (string.IsNullOrWhiteSpace(value)) throw Invalid(prefix + name, "is required");
        return value;
    }

    private static string? OptionalString(JsonObject obj, string name, int maxLength, string prefix = "")
    {
        var node = obj[name];
        if (node is null) return null;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String) throw Invalid(prefix + name, "must be a string");
        var text = v.GetValue<string>();
        if (text.Length > maxLength) throw Invalid(prefix + name, $"must be at most {maxLength} characters");
        if (text.Contains('\0')) throw Invalid(prefix + name, "must not contain NUL");
        return text;
    }

    private static bool Boolean(JsonObject obj, string name, string prefix)
    {
        var node = obj[name];
        if (node is null) return false;
        if (node is not JsonValue v || v.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            throw Invalid(prefix + name, "must be true or false");
        return v.GetValueKind() == JsonValueKind.True;
    }

    /// <summary>
    /// <c>on_exit_code</c>: keys are exit codes (YAML writes them as numbers, JSON as strings) or Formicary's status
    /// keys COMPLETED and FAILED; values name tasks of the job (checked with the other edges).
    /// </summary>
    private static List<FormicaryExitRoute> ExitRoutes(JsonObject task, string field, LimitOptions limits)
    {
        var node = task["on_exit_code"];
        if (node is null) return [];
        if (node is not JsonObject exits) throw Invalid(field, "must be an object");
        var routes = new List<FormicaryExitRoute>(exits.Count);
        foreach (var (key, value) in exits)
        {
            if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>() is not { Length: > 0 } target || target.Length > limits.MaxIdentifierLength)
                throw Invalid($"{field}.{key}", "must name a task of this job");
            if (int.TryParse(key, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var code))
                routes.Add(new FormicaryExitRoute(code, false, target));
            else if (key is "COMPLETED" or "FAILED")
                routes.Add(new FormicaryExitRoute(null, key == "FAILED", target));
            else throw Invalid($"{field}.{key}", "keys must be exit codes (whole numbers) or COMPLETED or FAILED");
        }

        return routes;
    }

    private static int? Integer(JsonObject obj, string name, int min, int max, string prefix = "")
    {
        var node = obj[name];
        if (node is null) return null;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<long>(out var n) && !TryWhole(v, out n) || n < min || n > max)
            throw Invalid(prefix + name, $"must be an integer between {min} and {max}");
        return (int)n;
    }

    private static bool TryWhole(JsonValue v, out long n)
    {
        n = 0;
        if (!v.TryGetValue<double>(out var d) || d != Math.Floor(d) || Math.Abs(d) > int.MaxValue) return false;
        n = (long)d;
        return true;
    }

    /// <summary>A Go duration string ("1h30m"), or a number of nanoseconds as Formicary's JSON writes durations.</summary>
    private static TimeSpan? Duration(JsonObject obj, string name, string prefix = "")
    {
        var node = obj[name];
        if (node is null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            if (!GoDuration.TryParse(v.GetValue<string>(), out var value, out var problem)) throw Invalid(prefix + name, problem!);
            return value <= TimeSpan.Zero ? null : value;
        }

        if (node is JsonValue n && n.GetValueKind() == JsonValueKind.Number && n.TryGetValue<long>(out var nanos) && nanos >= 0)
        {
            if (nanos / 100 > GoDuration.Max.Ticks) throw Invalid(prefix + name, "is too long");
            return nanos == 0 ? null : TimeSpan.FromTicks(nanos / 100);
        }

        throw Invalid(prefix + name, "must be a duration such as \"30m\" or a whole number of nanoseconds");
    }

    private static List<string> ReadTags(JsonObject obj, string name, LimitOptions limits)
    {
        var node = obj[name];
        List<string> tags;
        if (node is null) return [];
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            tags = v.GetValue<string>().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        else if (node is JsonArray array && array.All(t => t is JsonValue tv && tv.GetValueKind() == JsonValueKind.String))
            tags = array.Select(t => t!.GetValue<string>()).ToList();
        else throw Invalid(name, "must be a list of strings or a comma-separated string");
        if (tags.Count > MaxTags) throw Invalid(name, $"must hold at most {MaxTags} tags");
        if (tags.Select(t => limits.IdentifierProblem(t)).FirstOrDefault(p => p is not null) is { } problem) throw Invalid(name, "values " + problem);
        return tags.Distinct(StringComparer.Ordinal).ToList();
    }
}
