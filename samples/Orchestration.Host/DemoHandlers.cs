using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestration.Execution;
using Orchestration.Hosting;

namespace Orchestration.Host;

/// <summary>
/// Demo handlers for FlowCtl's task types: they simulate work in steps, log progress and record it in run
/// data. They never execute the commands in their payloads: running commands is the job of the <c>exec</c> type,
/// which is off unless a host turns it on.
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
    /// <summary>Total simulated duration; default 2 s.</summary>
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

/// <summary>Shared simulation: sleep in steps on the host's clock, log and record progress, honour cancellation.</summary>
internal abstract partial class DemoHandler<TPayload>(TimeProvider time, ILogger logger) : ITaskHandler<TPayload, JsonElement>
    where TPayload : DemoPayload
{
    protected abstract string Describe(TPayload payload);

    protected abstract object Result(TPayload payload);

    public async Task<JsonElement> HandleAsync(TPayload input, TaskContext context, CancellationToken cancellationToken)
    {
        input ??= Activator.CreateInstance<TPayload>();
        var steps = Math.Clamp(input.Steps ?? 4, 1, 100);
        var total = TimeSpan.FromMilliseconds(Math.Clamp(input.DurationMs ?? 2000, 0, 3_600_000));
        LogStarting(logger, context.Task.Type, context.Task.Name, context.Attempt, Describe(input));
        for (var step = 1; step <= steps; step++)
        {
            await Task.Delay(total / steps, time, cancellationToken);
            var percent = step * 100 / steps;
            LogProgress(logger, context.Task.Name, percent);
            await context.PutDataAsync($"progress.{context.Task.Name}", percent, ["progress"], cancellationToken);
        }

        if (input.Fail) throw new TaskFailedException($"{context.Task.Type} task '{context.Task.Name}' failed as its payload asked");
        return JsonSerializer.SerializeToElement(Result(input));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Type} task {Name} attempt {Attempt} starting: {Description}")]
    private static partial void LogStarting(ILogger logger, string type, string name, int attempt, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {Name}: {Percent}% done")]
    private static partial void LogProgress(ILogger logger, string name, int percent);
}

internal sealed class EtlHandler(TimeProvider time, ILogger<EtlHandler> logger) : DemoHandler<EtlPayload>(time, logger)
{
    protected override string Describe(EtlPayload p) => $"{p.SourceUrl ?? "?"} -> {p.TargetUrl ?? "?"} ({p.Format ?? "json"}, {p.Transformation ?? "none"})";

    protected override object Result(EtlPayload p) => new { records_processed = 1000, format = p.Format ?? "json", target_url = p.TargetUrl };
}

internal sealed class MlTrainingHandler(TimeProvider time, ILogger<MlTrainingHandler> logger) : DemoHandler<MlTrainingPayload>(time, logger)
{
    protected override string Describe(MlTrainingPayload p) => $"model {p.ModelName ?? "?"} with {p.Algorithm ?? "?"} on {p.DatasetUrl ?? "?"}";

    protected override object Result(MlTrainingPayload p) => new { model_name = p.ModelName, algorithm = p.Algorithm, accuracy = 0.95 };
}

internal sealed class CiHandler(TimeProvider time, ILogger<CiHandler> logger) : DemoHandler<CiPayload>(time, logger)
{
    protected override string Describe(CiPayload p) => $"'{p.Command ?? "?"}' on {p.RepoUrl ?? "?"}@{p.Branch ?? "main"} (simulated, not executed)";

    protected override object Result(CiPayload p) => new { status = "passed", branch = p.Branch ?? "main", simulated = true };
}

internal sealed class GenericHandler(TimeProvider time, ILogger<GenericHandler> logger) : DemoHandler<GenericPayload>(time, logger)
{
    protected override string Describe(GenericPayload p) => $"'{p.Command ?? "?"}' with {p.Args?.Count ?? 0} args (simulated, not executed)";

    protected override object Result(GenericPayload p) => new { exit_code = 0, simulated = true };
}
