using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Engine;

/// <summary>
/// The engine client over a store, served from DI as <see cref="IOrchestrationClient"/>. A process that only enqueues
/// work into a store shared with hosts (another SQLite process, a Postgres-backed web tier) registers the engine with
/// <c>Worker.Enabled = false</c> and takes the client from DI.
/// </summary>
/// <param name="store">The store to write to.</param>
/// <param name="queries">The same store's read side.</param>
/// <param name="options">Engine defaults (retry policy, task timeout).</param>
/// <param name="timeProvider">Clock for <see cref="WaitForRunAsync"/>'s poll; the system clock when null.</param>
internal sealed class OrchestrationClient(IOrchestrationStore store, IOrchestrationQueries queries, IOptions<EngineOptions> options, TimeProvider? timeProvider = null) : IOrchestrationClient, IStoreBackedClient
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private const int MaxKeyLength = 255;
    private readonly EngineOptions _options = options.Value;
    private RetryPolicy? _checkedPolicy;

    /// <inheritdoc />
    public IOrchestrationQueries Queries => queries;

    /// <inheritdoc />
    public async Task<CreateRunResult> CreateRunAsync(RunSpec spec, CancellationToken cancellationToken = default)
    {
        var results = await CreateRunsAsync([spec], cancellationToken);
        // The store decided atomically; refusing here only changes how the caller hears of the duplicate.
        if (!results[0].Created && spec.Unique is { OnDuplicate: OnDuplicate.Conflict } rule) throw new UniqueConflictException(rule.Key, results[0].Run);
        return results[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<RunSpec> specs, CancellationToken cancellationToken = default)
    {
        var results = Diagnostics.OrchestrationTracing.Source.HasListeners()
            ? await CreateRunsTracedAsync(specs, cancellationToken)
            : await store.CreateRunsAsync(PrepareRuns(specs), cancellationToken);
        Diagnostics.OrchestrationMetrics.CountCreated(results);
        return results;
    }

    // Prepared inside the create span, so the runs carry its context and their handlers' spans become its children.
    private async Task<IReadOnlyList<CreateRunResult>> CreateRunsTracedAsync(IReadOnlyList<RunSpec> specs, CancellationToken cancellationToken)
    {
        using var activity = Diagnostics.OrchestrationTracing.StartCreate(specs);
        try
        {
            var results = await store.CreateRunsAsync(PrepareRuns(specs), cancellationToken);
            Diagnostics.OrchestrationTracing.Created(activity, results);
            return results;
        }
        catch (Exception ex)
        {
            Diagnostics.OrchestrationTracing.Failed(activity, ex.GetType().FullName ?? "error", ex.Message);
            throw;
        }
    }

    /// <inheritdoc />
    public IOrchestrationStore Store => store;

    /// <inheritdoc />
    public CreateRunParams[] PrepareRuns(IReadOnlyList<RunSpec> specs)
    {
        var prepared = new CreateRunParams[specs.Count];
        for (var i = 0; i < specs.Count; i++) prepared[i] = Prepare(specs[i]);
        Diagnostics.OrchestrationMetrics.TasksSubmitted.Add(prepared.Sum(p => (long)p.Tasks.Count));
        return prepared;
    }

    /// <inheritdoc />
    public Task<AddTaskResult> AddTaskAsync(string orgId, Guid runId, TaskSpec task, CancellationToken cancellationToken = default) =>
        AddTaskAsync(orgId, runId, task, null, cancellationToken);

    /// <inheritdoc />
    public Task<AddTaskResult> AddTaskAsync(string orgId, string family, Guid runId, TaskSpec task, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(family);
        return AddTaskAsync(orgId, runId, task, family, cancellationToken);
    }

    private Task<AddTaskResult> AddTaskAsync(string orgId, Guid runId, TaskSpec task, string? family, CancellationToken cancellationToken)
    {
        var name = string.IsNullOrWhiteSpace(task.Name) ? $"{task.Type}-{GuidGenerator.NewVersion7():N}" : task.Name;
        // A routed task decides when its sources end; adding one later could find them ended already, so routes are
        // part of the graph a run is created with.
        if (task.Routes.Count > 0) throw new OrchestrationValidationException("routes are set when the run is created, not on added tasks", "routes");
        return store.AddTaskAsync(new AddTaskParams(orgId, runId, ToNewTask(task, name, orgId), family), cancellationToken);
    }

    /// <inheritdoc />
    public Task<ReviewTaskResult> ReviewTaskAsync(ReviewTaskParams review, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(review);
        if (string.IsNullOrWhiteSpace(review.Reviewer)) throw new OrchestrationValidationException("the reviewer is required", "reviewer");
        if (review.TaskId is null && string.IsNullOrWhiteSpace(review.TaskName))
            throw new OrchestrationValidationException("name the task to review by id or name", "task");
        if (!review.Approved && string.IsNullOrWhiteSpace(review.Comments))
            throw new OrchestrationValidationException("a rejection needs comments", "comments");
        return store.ReviewTaskAsync(review, cancellationToken);
    }

    /// <inheritdoc />
    public Task<RunCommandStatus> CancelRunAsync(string orgId, Guid runId, CancellationToken cancellationToken = default) =>
        store.CancelRunAsync(orgId, runId, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> RestartRunAsync(string orgId, Guid runId, CancellationToken cancellationToken = default) =>
        store.RestartRunAsync(orgId, runId, cancellationToken);

    public Task<RunCommandStatus> RerunRunAsync(string orgId, Guid runId, CancellationToken cancellationToken = default) =>
        store.RerunRunAsync(orgId, runId, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> RetryTaskAsync(RetryTaskParams retry, CancellationToken cancellationToken = default) =>
        store.RetryTaskAsync(retry, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> UpdateRunAsync(UpdateRunParams update, CancellationToken cancellationToken = default) =>
        store.UpdateOpenRunAsync(update, cancellationToken);

    /// <inheritdoc />
    public Task<RunCommandStatus> UpdateTaskAsync(UpdateTaskParams update, CancellationToken cancellationToken = default) =>
        store.UpdateTaskByClientAsync(update, cancellationToken);

    /// <inheritdoc />
    public async Task<Run?> WaitForRunAsync(string orgId, Guid runId, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default)
    {
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var version = store.WorkAvailable.Version;
            var run = await queries.GetRunAsync(orgId, runId, cancellationToken);
            if (run is null || run.Status.IsTerminal()) return run;
            await store.WorkAvailable.WaitAsync(version, interval, _time, cancellationToken);
        }
    }

    /// <inheritdoc />
    public Task<RunDataEntry?> PutRunDataAsync(string orgId, Guid runId, RunDataSpec entry, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(entry.Key)) throw new OrchestrationValidationException("key is required", "key");
        if (entry.Key.Length > MaxKeyLength) throw new OrchestrationValidationException($"key must be at most {MaxKeyLength} characters", "key");
        var tags = entry.Tags.Where(t => !string.IsNullOrEmpty(t)).Distinct(StringComparer.Ordinal).ToArray();
        return store.PutRunDataAsync(new PutRunDataParams
        {
            EntryId = GuidGenerator.NewVersion7(),
            OrgId = orgId,
            RunId = runId,
            TaskId = entry.TaskId,
            Key = entry.Key,
            ValueJson = entry.ValueJson,
            Tags = tags,
            MetadataJson = entry.MetadataJson,
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken = default)
    {
        if ((parameters.Key is null) == (parameters.EntryId is null))
            throw new OrchestrationValidationException("give exactly one of key and id", "key");
        return store.DeleteRunDataAsync(parameters, cancellationToken);
    }

    /// <inheritdoc />
    public Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken = default) =>
        store.ChangeRunDataTagsAsync(parameters, cancellationToken);

    private CreateRunParams Prepare(RunSpec spec)
    {
        if (string.IsNullOrEmpty(spec.OrgId)) throw new OrchestrationValidationException("org id is required", "org_id");
        if (spec.Open && spec.Tasks.Count > 0) throw new OrchestrationValidationException("an open run is created without tasks", "tasks");
        if (spec.MaxConcurrency is < 1) throw new OrchestrationValidationException("max_concurrency must be at least 1", "max_concurrency");
        if (spec.Timeout is { } t && t <= TimeSpan.Zero) throw new OrchestrationValidationException("timeout must be positive", "timeout");
        // An open run's tasks are moved by clients, never by the engine's clock, so a start time would be a promise nothing keeps.
        if (spec.Open && spec.ScheduledAt is not null) throw new OrchestrationValidationException("scheduled_at applies to managed runs only", "scheduled_at");

        var tasks = spec.Tasks.Count == 1 && spec.Tasks[0] is { DependsOn.Count: 0, Routes.Count: 0 } only
            ? [ToNewTask(only, string.IsNullOrWhiteSpace(only.Name) ? only.Type : only.Name, spec.OrgId)]
            : NameAndCheckGraph(spec);

        var trace = Diagnostics.OrchestrationTracing.CurrentContext();
        return new CreateRunParams
        {
            RunId = GuidGenerator.NewVersion7(),
            OrgId = spec.OrgId,
            Kind = spec.Open ? RunKind.Open : RunKind.Managed,
            Family = spec.Family,
            Name = spec.Name,
            InputJson = spec.InputJson,
            MetadataJson = spec.MetadataJson,
            IdempotencyKey = string.IsNullOrEmpty(spec.IdempotencyKey) ? null : spec.IdempotencyKey,
            Unique = ValidUnique(spec),
            MaxConcurrency = spec.MaxConcurrency,
            Timeout = spec.Timeout,
            // An instant: stores keep UTC (Postgres refuses other offsets).
            ScheduledAt = spec.ScheduledAt?.ToUniversalTime(),
            Tasks = tasks,
            TraceParent = trace.TraceParent,
            TraceState = trace.TraceState,
        };
    }

    // Names the tasks and checks the graph they make. A single task without dependencies or routes (the bulk of
    // enqueues) never comes here: its name is its own or its type, and it has no graph to check.
    private NewTask[] NameAndCheckGraph(RunSpec spec)
    {
        var named = new List<(string Name, IReadOnlyList<string> DependsOn)>(spec.Tasks.Count);
        Dictionary<string, int>? used = null;
        foreach (var task in spec.Tasks)
        {
            if (string.IsNullOrWhiteSpace(task.Type)) throw new OrchestrationValidationException("task type is required", "type");
            string name;
            if (!string.IsNullOrWhiteSpace(task.Name)) name = task.Name;
            else
            {
                // Unnamed tasks take their type as name, numbered when the type repeats, so graphs read naturally.
                used ??= new Dictionary<string, int>(StringComparer.Ordinal);
                var n = used.GetValueOrDefault(task.Type);
                used[task.Type] = n + 1;
                name = n == 0 ? task.Type : $"{task.Type}-{n + 1}";
            }

            named.Add((name, task.DependsOn));
        }

        GraphValidator.ValidateRoutes(spec.Tasks, named);
        // Route sources are edges too: a cycle through routes would wait for ever.
        for (var i = 0; i < named.Count; i++)
        {
            var routes = spec.Tasks[i].Routes;
            if (routes.Count > 0) named[i] = (named[i].Name, routes.Select(r => r.From).Distinct(StringComparer.Ordinal).ToArray());
        }

        GraphValidator.Validate(named);

        var tasks = new NewTask[spec.Tasks.Count];
        for (var i = 0; i < tasks.Length; i++) tasks[i] = ToNewTask(spec.Tasks[i], named[i].Name, spec.OrgId);
        return tasks;
    }

    private static UniqueRule? ValidUnique(RunSpec spec)
    {
        if (spec.Unique is not { } rule) return null;
        if (string.IsNullOrEmpty(rule.Key)) throw new OrchestrationValidationException("unique key must not be empty", "unique_key");
        if (rule.Key.Length > 255) throw new OrchestrationValidationException("unique key must be at most 255 characters", "unique_key");
        if (!string.IsNullOrEmpty(spec.IdempotencyKey)) throw new OrchestrationValidationException("give an idempotency key or a unique rule, not both", "unique_key");
        if (rule.Window is { } w && (w < TimeSpan.Zero || w > TimeSpan.FromDays(3650))) throw new OrchestrationValidationException("unique window must be between 0 and 3650 days", "unique_window");
        if ((rule.States & ~UniqueStates.Any) != 0) throw new OrchestrationValidationException("unique states are unknown", "unique_states");
        if (!Enum.IsDefined(rule.Scope)) throw new OrchestrationValidationException("unique scope is unknown", "unique_scope");
        if (rule.Scope == UniqueScope.Name && string.IsNullOrEmpty(spec.Name)) throw new OrchestrationValidationException("a unique key scoped by name needs a run name", "unique_scope");
        return rule;
    }

    private NewTask ToNewTask(TaskSpec task, string name, string orgId)
    {
        if (string.IsNullOrWhiteSpace(task.Type)) throw new OrchestrationValidationException("task type is required", "type");
        var policy = task.RetryPolicy ?? _options.DefaultRetryPolicy;
        if (task.MaxRetries is { } retries)
        {
            if (retries < 0) throw new OrchestrationValidationException("max_retries must not be negative", "max_retries");
            policy = policy with { MaxAttempts = retries + 1 };
        }

        var problem = ReferenceEquals(policy, _checkedPolicy) ? null : policy.Validate();
        if (problem is not null) throw new OrchestrationValidationException(problem, "retry_policy");
        // Policies are immutable records: once the shared default has passed, later tasks using it need no check.
        if (ReferenceEquals(policy, _options.DefaultRetryPolicy)) _checkedPolicy = policy;
        if (task.Timeout is { } t && t <= TimeSpan.Zero) throw new OrchestrationValidationException("timeout must be positive", "timeout");
        var limits = ConcurrencyKeys.Resolve(_options, task, orgId);

        return new NewTask
        {
            Id = GuidGenerator.NewVersion7(),
            Name = name,
            Type = task.Type,
            InputJson = task.InputJson,
            MetadataJson = task.MetadataJson,
            Priority = task.Priority,
            Dependencies = task.DependsOn.Count == 0 ? [] : task.DependsOn.Distinct(StringComparer.Ordinal).ToArray(),
            Routes = task.Routes.Count == 0 ? [] : task.Routes.ToArray(),
            AllowFailure = task.AllowFailure,
            ParentTaskId = task.ParentTaskId,
            RetryPolicy = policy,
            Timeout = task.Timeout ?? _options.DefaultTaskTimeout,
            Enqueue = task.Enqueue,
            LimitKey = limits.Key,
            LimitMaxRunning = limits.MaxRunning,
            LimitMaxStarts = limits.MaxStarts,
            LimitWindow = limits.Window,
        };
    }
}
