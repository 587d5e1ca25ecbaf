using System.Text.Json;
using Orchestration.Domain;

namespace Orchestration.Engine;

/// <summary>What to create: a managed run with a task graph, or an open run (no graph, status driven by clients).</summary>
public sealed record RunSpec
{
    /// <summary>Owning org; embedded callers can leave the default.</summary>
    public string OrgId { get; init; } = Org.DefaultId;
    /// <summary>Creating API family (lists are filtered by it).</summary>
    public string Family { get; init; } = "embedded";
    /// <summary>True for an open run: no graph, status set by clients (Foreman).</summary>
    public bool Open { get; init; }
    /// <summary>Display name.</summary>
    public string? Name { get; init; }
    /// <summary>Input as JSON text.</summary>
    public string? InputJson { get; init; }
    /// <summary>Metadata as JSON text.</summary>
    public string? MetadataJson { get; init; }
    /// <summary>A second create with the same key in the same org returns the first run and writes nothing.</summary>
    public string? IdempotencyKey { get; init; }
    /// <summary>Unique work: when an earlier run with the rule's key blocks, the create returns it (or conflicts) instead; exclusive with <see cref="IdempotencyKey"/>.</summary>
    public UniqueRule? Unique { get; init; }
    /// <summary>At most this many tasks of the run at once.</summary>
    public int? MaxConcurrency { get; init; }
    /// <summary>The run fails with "run timed out" if not finished this long after it may start (creation, or <see cref="ScheduledAt"/>).</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>
    /// No task of the run is claimable before this instant (managed runs only); null or a past instant starts it at once.
    /// Stored with the run, so it holds across restarts. See docs/scheduling.md.
    /// </summary>
    public DateTimeOffset? ScheduledAt { get; init; }
    /// <summary>The task graph (managed runs).</summary>
    public IReadOnlyList<TaskSpec> Tasks { get; init; } = [];
}

/// <summary>One task to create.</summary>
public sealed record TaskSpec
{
    /// <summary>Name unique within the run; defaults to the type, suffixed when repeated.</summary>
    public string? Name { get; init; }
    /// <summary>Handler key.</summary>
    public required string Type { get; init; }
    /// <summary>Input as JSON text.</summary>
    public string? InputJson { get; init; }
    /// <summary>Metadata as JSON text.</summary>
    public string? MetadataJson { get; init; }
    /// <summary>Higher runs first.</summary>
    public int Priority { get; init; }
    /// <summary>Names of tasks of the same run this one waits for.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];
    /// <summary>
    /// Routes by outcome: the task waits until every route's <see cref="TaskRoute.From"/> is terminal, then runs when at
    /// least one matches and is skipped otherwise. Exclusive with <see cref="DependsOn"/>.
    /// </summary>
    public IReadOnlyList<TaskRoute> Routes { get; init; } = [];
    /// <summary>A failure (after its retries) does not fail the run: dependents and completed routes proceed.</summary>
    public bool AllowFailure { get; init; }
    /// <summary>Retry policy; the engine's default when null.</summary>
    public RetryPolicy? RetryPolicy { get; init; }
    /// <summary>Overrides the policy's attempts: <c>max_retries</c> retries after the first attempt.</summary>
    public int? MaxRetries { get; init; }
    /// <summary>Per-attempt timeout; the engine's default when null.</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>False keeps the task pending until a client moves it (Foreman tasks).</summary>
    public bool Enqueue { get; init; } = true;
    /// <summary>The task that created this one.</summary>
    public Guid? ParentTaskId { get; init; }
    /// <summary>
    /// Concurrency key template: literal text with optional <c>{org}</c>, <c>{type}</c> and <c>{$.path}</c> (a value of
    /// the input) placeholders. The resolved key is limited by the first matching <see cref="EngineOptions.KeyLimits"/>
    /// entry; a key no limit matches limits nothing. Null takes the type's template from
    /// <see cref="EngineOptions.TypeConcurrencyKeys"/>, if any.
    /// </summary>
    public string? ConcurrencyKey { get; init; }
    /// <summary>
    /// At most this many tasks of this task's concurrency key run at once (1 to 10,000), without host configuration. It
    /// needs a key (<see cref="ConcurrencyKey"/> or the type's template). When a <see cref="EngineOptions.KeyLimits"/>
    /// entry also limits the key's running tasks, the lower of the two applies.
    /// </summary>
    public int? ConcurrencyLimit { get; init; }

    /// <summary>Builds a spec whose input is <paramref name="input"/> serialised with System.Text.Json web defaults.</summary>
    public static TaskSpec Create<TInput>(string type, TInput input, string? name = null) =>
        new() { Type = type, Name = name, InputJson = JsonSerializer.Serialize(input, JsonDefaults.Options) };
}

/// <summary>A run-data entry to write.</summary>
public sealed record RunDataSpec
{
    /// <summary>Key (required, at most 255 characters).</summary>
    public required string Key { get; init; }
    /// <summary>Value as JSON text.</summary>
    public string? ValueJson { get; init; }
    /// <summary>The writing task.</summary>
    public Guid? TaskId { get; init; }
    /// <summary>Tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Metadata as JSON text.</summary>
    public string? MetadataJson { get; init; }
}

/// <summary>JSON settings shared by handlers' inputs and outputs.</summary>
public static class JsonDefaults
{
    /// <summary>Web defaults (camelCase, case-insensitive reads).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>The engine's error body: <c>{"message": "..."}</c>.</summary>
    public static string ErrorJson(string message) => JsonSerializer.Serialize(new ErrorBody(message), Options);

    /// <summary>The message of an engine error body, or the raw text when it has none.</summary>
    public static string? ErrorMessage(string? errorJson)
    {
        if (errorJson is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(errorJson);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                return m.GetString();
            if (doc.RootElement.ValueKind == JsonValueKind.String) return doc.RootElement.GetString();
        }
        catch (JsonException)
        {
            // Not JSON: the raw text is the message.
        }

        return errorJson;
    }

    private sealed record ErrorBody(string Message);
}
