using System.Text;
using System.Text.Json;

namespace Orchestration.Engine;

// Resolves a task's concurrency key at enqueue and finds the limit for it. The key is resolved once, by the engine, so
// stores compare plain strings and never parse input at claim time.
internal static class ConcurrencyKeys
{
    public const int MaxKeyLength = 255;

    public const int MaxTaskLimit = 10_000;

    // The resolved key and its limits, or Limits.None when the task has no key or nothing limits it. A limit the task
    // carries (TaskSpec.ConcurrencyLimit) and one from KeyLimits combine to the lower; the rate comes from KeyLimits only.
    public static Limits Resolve(EngineOptions options, TaskSpec task, string orgId)
    {
        if (task.ConcurrencyLimit is { } own && own is < 1 or > MaxTaskLimit)
            throw new OrchestrationValidationException($"concurrency_limit must be between 1 and {MaxTaskLimit}", "concurrency_limit");
        var template = task.ConcurrencyKey;
        if (template is null && options.TypeConcurrencyKeys.Count > 0 && !options.TypeConcurrencyKeys.TryGetValue(task.Type, out template))
            options.TypeConcurrencyKeys.TryGetValue("*", out template);
        if (template is null)
        {
            if (task.ConcurrencyLimit is not null) throw new OrchestrationValidationException("concurrency_limit needs a concurrency_key", "concurrency_limit");
            return Limits.None;
        }

        if (template.Length == 0) throw new OrchestrationValidationException("concurrency_key must not be empty", "concurrency_key");
        var key = Expand(template, orgId, task.Type, task.InputJson);
        if (key.Length > MaxKeyLength)
            throw new OrchestrationValidationException($"concurrency_key is longer than {MaxKeyLength} characters once resolved", "concurrency_key");
        foreach (var limit in options.KeyLimits)
        {
            var pattern = limit.Key;
            var matches = pattern.EndsWith('*')
                ? key.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
                : string.Equals(pattern, key, StringComparison.Ordinal);
            if (!matches) continue;
            // An entry naming only a key has always meant one at a time; a rate entry limits running tasks only if it says so.
            var hostRunning = limit.MaxRunning ?? (limit.MaxStarts is null ? 1 : null);
            var running = (hostRunning, task.ConcurrencyLimit) switch
            {
                ({ } h, { } t) => Math.Min(h, t),
                var (h, t) => h ?? t,
            };
            return new Limits(key, running, limit.MaxStarts, limit.MaxStarts is null ? null : limit.Window);
        }

        return task.ConcurrencyLimit is { } only ? new Limits(key, only, null, null) : Limits.None;
    }

    public readonly record struct Limits(string? Key, int? MaxRunning, int? MaxStarts, TimeSpan? Window)
    {
        public static Limits None => default;
    }

    // Null when the template is well formed, else what is wrong with it.
    public static string? CheckTemplate(string template)
    {
        if (string.IsNullOrEmpty(template)) return "empty";
        try
        {
            Expand(template, "org", "type", null, checkOnly: true);
            return null;
        }
        catch (OrchestrationValidationException e)
        {
            return e.Message;
        }
    }

    private static string Expand(string template, string orgId, string type, string? inputJson, bool checkOnly = false)
    {
        if (!template.Contains('{', StringComparison.Ordinal)) return template;
        var sb = new StringBuilder(template.Length + 16);
        JsonDocument? input = null;
        try
        {
            var i = 0;
            while (i < template.Length)
            {
                var open = template.IndexOf('{', i);
                if (open < 0)
                {
                    sb.Append(template, i, template.Length - i);
                    break;
                }

                sb.Append(template, i, open - i);
                var close = template.IndexOf('}', open + 1);
                if (close < 0) throw Invalid("a '{' has no closing '}'");
                var name = template.Substring(open + 1, close - open - 1);
                if (name == "org") sb.Append(orgId);
                else if (name == "type") sb.Append(type);
                else if (name.StartsWith("$.", StringComparison.Ordinal) && name.Length > 2)
                {
                    if (!checkOnly)
                    {
                        input ??= Parse(inputJson);
                        sb.Append(Lookup(input.RootElement, name));
                    }
                }
                else throw Invalid($"unknown placeholder {{{name}}} (use {{org}}, {{type}} or {{$.field}})");

                i = close + 1;
            }
        }
        finally
        {
            input?.Dispose();
        }

        return sb.ToString();
    }

    private static JsonDocument Parse(string? inputJson)
    {
        if (string.IsNullOrEmpty(inputJson)) throw Invalid("it reads the input, and the task has none");
        try
        {
            return JsonDocument.Parse(inputJson);
        }
        catch (JsonException)
        {
            throw Invalid("it reads the input, and the input is not valid JSON");
        }
    }

    private static string Lookup(JsonElement root, string path)
    {
        var element = root;
        foreach (var part in path[2..].Split('.'))
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(part, out element))
                throw Invalid($"the input has no {path}");
        }

        return element.ValueKind switch
        {
            JsonValueKind.String => element.GetString()!,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
            _ => throw Invalid($"{path} in the input is not a string, number or boolean"),
        };
    }

    private static OrchestrationValidationException Invalid(string problem) => new($"concurrency_key: {problem}", "concurrency_key");
}
