using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestration.Execution;
using Orchestration.Hosting;

namespace Orchestration.Host;

/// <summary>
/// Demo handlers for FlowCtl's task types (etl, ml_training, ci, generic): they simulate work in steps, log progress
/// and record it in run data, and say in their result that they simulated it. They never fetch, train, build or
/// execute what their payloads describe: running commands is the job of the <c>exec</c> type, which is off unless a
/// host turns it on. A real deployment registers its own handlers for these types instead (docs/api/workflows.md).
/// </summary>
internal static class DemoHandlers
{
    public static OrchestrationBuilder AddDemoHandlers(this OrchestrationBuilder builder)
    {
        builder.AddTaskHandler<EtlHandler>("etl");
        builder.AddTaskHandler<MlTrainingHandler>("ml_training");
        builder.AddTaskHandler<CiHandler>("ci");
        builder.AddTaskHandler<GenericHandler>("generic");
        return builder;
    }
}

/// <summary>Fields every demo payload may carry to shape the simulation.</summary>
internal record DemoPayload
{
    /// <summary>Total simulated duration; default 1 s (ml_training: 5 s).</summary>
    [JsonPropertyName("duration_ms")]
    public int? DurationMs { get; init; }

    /// <summary>Number of progress steps; default 4.</summary>
    [JsonPropertyName("steps")]
    public int? Steps { get; init; }

    /// <summary>When true the task fails (to try retries and skipped dependents).</summary>
    [JsonPropertyName("fail")]
    public bool Fail { get; init; }
}

internal sealed record EtlPayload : DemoPayload
{
    [JsonPropertyName("source_url")] public string? SourceUrl { get; init; }
    [JsonPropertyName("target_url")] public string? TargetUrl { get; init; }
    [JsonPropertyName("format")] public string? Format { get; init; }
    [JsonPropertyName("transformation")] public string? Transformation { get; init; }
}

internal sealed record MlTrainingPayload : DemoPayload
{
    [JsonPropertyName("model_name")] public string? ModelName { get; init; }
    [JsonPropertyName("dataset_url")] public string? DatasetUrl { get; init; }
    [JsonPropertyName("algorithm")] public string? Algorithm { get; init; }
    [JsonPropertyName("hyperparameters")] public JsonElement? Hyperparameters { get; init; }
}

internal sealed record CiPayload : DemoPayload
{
    [JsonPropertyName("repo_url")] public string? RepoUrl { get; init; }
    [JsonPropertyName("command")] public string? Command { get; init; }
    [JsonPropertyName("branch")] public string? Branch { get; init; }
    [JsonPropertyName("environment")] public string? Environment { get; init; }
}

internal sealed record GenericPayload : DemoPayload
{
    [JsonPropertyName("command")] public string? Command { get; init; }
    [JsonPropertyName("args")] public IReadOnlyList<string>? Args { get; init; }
    [JsonPropertyName("environment")] public JsonElement? Environment { get; init; }
}

/// <summary>
/// Shared simulation: wait in steps on the host's clock (so tests drive it with a fake clock), record progress in run
/// data through the task context, honour cancellation, fail when the payload asks. The result always says
/// <c>"simulated": true</c>: nothing in the payload was fetched, trained, built or executed.
/// </summary>
internal abstract partial class DemoHandler<TPayload>(TimeProvider time, ILogger logger) : ITaskHandler<TPayload, JsonElement>
    where TPayload : DemoPayload
{
    /// <summary>Simulated duration when the payload gives no <c>duration_ms</c>.</summary>
    public const int DefaultDurationMs = 1000;

    /// <summary>Longest simulated duration: one hour.</summary>
    public const int MaxDurationMs = 3_600_000;

    protected virtual int DefaultDuration => DefaultDurationMs;

    protected abstract string Describe(TPayload payload);

    protected abstract Dictionary<string, object?> Result(TPayload payload);

    public async Task<JsonElement> HandleAsync(TPayload input, TaskContext context, CancellationToken cancellationToken)
    {
        input ??= Activator.CreateInstance<TPayload>();
        var steps = Math.Clamp(input.Steps ?? 4, 1, 100);
        var total = TimeSpan.FromMilliseconds(Math.Clamp(input.DurationMs ?? DefaultDuration, 0, MaxDurationMs));
        LogStarting(logger, context.Task.Type, context.Task.Name, context.Attempt, Describe(input));
        for (var step = 1; step <= steps; step++)
        {
            if (total > TimeSpan.Zero) await Task.Delay(total / steps, time, cancellationToken);
            var percent = step * 100 / steps;
            LogProgress(logger, context.Task.Name, percent);
            await context.PutDataAsync($"progress.{context.Task.Name}", percent, ["progress"], cancellationToken);
        }

        if (input.Fail) throw new TaskFailedException($"{context.Task.Type} task '{context.Task.Name}' failed as its payload asked (simulated)");
        var result = Result(input);
        result["simulated"] = true;
        result["duration_ms"] = (long)total.TotalMilliseconds;
        return JsonSerializer.SerializeToElement(result);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Type} task {Name} attempt {Attempt} starting (simulated): {Description}")]
    private static partial void LogStarting(ILogger logger, string type, string name, int attempt, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {Name}: {Percent}% done")]
    private static partial void LogProgress(ILogger logger, string name, int percent);
}

internal sealed class EtlHandler(TimeProvider time, ILogger<EtlHandler> logger) : DemoHandler<EtlPayload>(time, logger)
{
    protected override string Describe(EtlPayload p) => $"{p.SourceUrl ?? "?"} -> {p.TargetUrl ?? "?"} ({p.Format ?? "json"}, {p.Transformation ?? "none"})";

    protected override Dictionary<string, object?> Result(EtlPayload p) => new()
    {
        ["source_url"] = p.SourceUrl, ["target_url"] = p.TargetUrl, ["format"] = p.Format ?? "json", ["transformation"] = p.Transformation,
    };
}

/// <summary>Training takes a few seconds by default, so a demo has time to cancel it.</summary>
internal sealed class MlTrainingHandler(TimeProvider time, ILogger<MlTrainingHandler> logger) : DemoHandler<MlTrainingPayload>(time, logger)
{
    public const int DefaultTrainingMs = 5000;

    protected override int DefaultDuration => DefaultTrainingMs;

    protected override string Describe(MlTrainingPayload p) => $"model {p.ModelName ?? "?"} with {p.Algorithm ?? "?"} on {p.DatasetUrl ?? "?"}";

    protected override Dictionary<string, object?> Result(MlTrainingPayload p) => new()
    {
        ["model_name"] = p.ModelName, ["algorithm"] = p.Algorithm, ["dataset_url"] = p.DatasetUrl, ["hyperparameters"] = p.Hyperparameters,
    };
}

internal sealed class CiHandler(TimeProvider time, ILogger<CiHandler> logger) : DemoHandler<CiPayload>(time, logger)
{
    protected override string Describe(CiPayload p) => $"'{p.Command ?? "?"}' on {p.RepoUrl ?? "?"}@{p.Branch ?? "main"} (not executed)";

    protected override Dictionary<string, object?> Result(CiPayload p) => new()
    {
        ["repo_url"] = p.RepoUrl, ["command"] = p.Command, ["branch"] = p.Branch ?? "main", ["environment"] = p.Environment,
    };
}

internal sealed class GenericHandler(TimeProvider time, ILogger<GenericHandler> logger) : DemoHandler<GenericPayload>(time, logger)
{
    protected override string Describe(GenericPayload p) => $"'{p.Command ?? "?"}' with {p.Args?.Count ?? 0} args (not executed)";

    protected override Dictionary<string, object?> Result(GenericPayload p) => new() { ["command"] = p.Command, ["args"] = p.Args };
}
