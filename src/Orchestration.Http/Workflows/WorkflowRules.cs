using System.Globalization;
using System.Text.Json;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Workflows.Contracts;

namespace Orchestration.Http.Workflows;

/// <summary>
/// The defaults of FlowCtl's API reference and the checks on a create. Every refusal is a 422 whose <c>error</c>
/// names the field; a body that is not JSON (or holds a value of the wrong JSON type) stays a 400 from the body reader.
/// </summary>
internal static class WorkflowRules
{
    public const int DefaultMaxConcurrency = 10;
    public const int MaxMaxConcurrency = 1000;
    public const int DefaultRetries = 3;
    public const int MaxRetries = 100;
    public const int DefaultPriority = 1;
    public const int MaxPriority = 1000;
    public const int MaxTasks = 1000;
    public const int MaxDescriptionLength = 4096;
    public const double DefaultBackoffFactor = 2.0;
    public const double MaxBackoffFactor = 100;
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromHours(1);
    public static readonly TimeSpan DefaultInitialDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromMinutes(5);

    public static WorkflowConfigResponse DefaultConfig { get; } = new(DefaultMaxConcurrency, GoDuration.Format(DefaultTimeout),
        new RetryPolicyResponse(DefaultRetries, GoDuration.Format(DefaultInitialDelay), GoDuration.Format(DefaultMaxDelay), DefaultBackoffFactor));

    private static readonly UniqueFieldNames UniqueFields = new("unique_key", "unique_scope", "unique_states", "unique_window", "on_duplicate");

    /// <summary>A 422 naming the problem.</summary>
    public static ApiException Invalid(string field, string message) =>
        new(StatusCodes.Status422UnprocessableEntity, $"{field} {message}", [new FieldError(field, message)]);

    /// <summary>The run to create, or a 422 for the first problem found.</summary>
    public static RunSpec ToSpec(string orgId, CreateWorkflowRequest request, LimitOptions limits)
    {
        if (string.IsNullOrWhiteSpace(request.Name)) throw Invalid("name", "is required");
        if (limits.IdentifierProblem(request.Name) is { } nameProblem) throw Invalid("name", nameProblem);
        var description = request.Description ?? "";
        if (description.Length > MaxDescriptionLength) throw Invalid("description", $"must be at most {MaxDescriptionLength} characters");
        if (description.Contains('\0')) throw Invalid("description", "must not contain NUL");

        var config = request.Config;
        var maxConcurrency = config?.MaxConcurrency ?? DefaultMaxConcurrency;
        if (maxConcurrency is < 1 or > MaxMaxConcurrency) throw Invalid("config.max_concurrency", $"must be between 1 and {MaxMaxConcurrency}");
        var timeout = Duration("config.timeout", config?.Timeout, DefaultTimeout);
        if (timeout <= TimeSpan.Zero) throw Invalid("config.timeout", "must be positive");

        var retry = config?.RetryPolicy;
        var attempts = retry?.MaxAttempts ?? DefaultRetries;
        if (attempts is < 0 or > MaxRetries) throw Invalid("config.retry_policy.max_attempts", $"must be between 0 and {MaxRetries}");
        var initialDelay = Duration("config.retry_policy.initial_delay", retry?.InitialDelay, DefaultInitialDelay);
        var maxDelay = Duration("config.retry_policy.max_delay", retry?.MaxDelay, DefaultMaxDelay);
        if (maxDelay < initialDelay) throw Invalid("config.retry_policy.max_delay", "must be at least initial_delay");
        var factor = retry?.BackoffFactor ?? DefaultBackoffFactor;
        if (!(factor >= 1 && factor <= MaxBackoffFactor)) throw Invalid("config.retry_policy.backoff_factor", $"must be between 1 and {MaxBackoffFactor.ToString(CultureInfo.InvariantCulture)}");
        // FlowCtl's policy has no jitter: the delays are exactly the ones the policy states.
        var policy = new RetryPolicy(attempts + 1, initialDelay, maxDelay, factor, 0);

        var requested = request.Tasks ?? [];
        if (requested.Count > MaxTasks) throw Invalid("tasks", $"must list at most {MaxTasks} tasks");
        var tasks = new List<TaskSpec>(requested.Count);
        for (var i = 0; i < requested.Count; i++) tasks.Add(ToTask(requested[i], $"tasks[{i}]", policy, attempts, limits));

        var applied = new WorkflowConfigResponse(maxConcurrency, GoDuration.Format(timeout),
            new RetryPolicyResponse(attempts, GoDuration.Format(initialDelay), GoDuration.Format(maxDelay), factor));
        TimeSpan? uniqueWindow = request.UniqueWindow is null ? null : Duration("unique_window", request.UniqueWindow, TimeSpan.Zero);
        var unique = UniqueWire.Rule(request.UniqueKey, request.UniqueScope, request.UniqueStates, uniqueWindow, request.OnDuplicate, UniqueFields, "name", limits, Invalid);
        return new RunSpec
        {
            OrgId = orgId,
            Family = WorkflowsJson.Family,
            Name = request.Name,
            Unique = unique,
            MetadataJson = WorkflowsJson.StoredText(new StoredWorkflow(description, applied)),
            MaxConcurrency = maxConcurrency,
            Timeout = timeout,
            Tasks = tasks,
        };
    }

    private static TaskSpec ToTask(WorkflowTaskRequest? task, string field, RetryPolicy policy, int defaultRetries, LimitOptions limits)
    {
        if (task is null) throw Invalid(field, "must be an object");
        if (string.IsNullOrWhiteSpace(task.Name)) throw Invalid(field + ".name", "is required");
        if (limits.IdentifierProblem(task.Name) is { } nameProblem) throw Invalid(field + ".name", nameProblem);
        if (string.IsNullOrWhiteSpace(task.Type)) throw Invalid(field + ".type", "is required");
        if (limits.IdentifierProblem(task.Type) is { } typeProblem) throw Invalid(field + ".type", typeProblem);
        var retries = task.MaxRetries ?? defaultRetries;
        if (retries is < 0 or > MaxRetries) throw Invalid(field + ".max_retries", $"must be between 0 and {MaxRetries}");
        var priority = task.Priority ?? DefaultPriority;
        if (priority is < -MaxPriority or > MaxPriority) throw Invalid(field + ".priority", $"must be between {-MaxPriority} and {MaxPriority}");
        var dependencies = task.Dependencies ?? [];
        if (limits.IdentifierListProblem(dependencies) is { } depProblem) throw Invalid(field + ".dependencies", depProblem);
        if (dependencies.Any(string.IsNullOrEmpty)) throw Invalid(field + ".dependencies", "must hold task names");
        if (task.ConcurrencyKey is not null && limits.IdentifierProblem(task.ConcurrencyKey) is { } keyProblem) throw Invalid(field + ".concurrency_key", keyProblem);
        if (ConcurrencyLimitWire.Problem(task.ConcurrencyLimit, task.ConcurrencyKey, "concurrency_key") is { } limitProblem) throw Invalid(field + ".concurrency_limit", limitProblem);

        return new TaskSpec
        {
            Name = task.Name,
            Type = task.Type,
            InputJson = task.Payload is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } p ? p.GetRawText() : null,
            Priority = priority,
            DependsOn = dependencies!,
            RetryPolicy = policy,
            MaxRetries = retries,
            ConcurrencyKey = task.ConcurrencyKey,
            ConcurrencyLimit = task.ConcurrencyLimit,
        };
    }

    private static TimeSpan Duration(string field, string? text, TimeSpan fallback)
    {
        if (text is null) return fallback;
        return GoDuration.TryParse(text, out var value, out var problem) ? value : throw Invalid(field, problem!);
    }
}
