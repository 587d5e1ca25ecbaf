using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestration.Artifacts;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>What a running handler knows about its task, and what it may do to its run.</summary>
public sealed class TaskContext
{
    private readonly IOrchestrationClient _client;
    private readonly ILogger _baseLogger;
    private readonly bool _scopeEachWrite;
    private readonly IServiceScopeFactory? _scopes;
    private readonly IServiceProvider? _services;
    private ILogger? _logger;
    private IServiceScope? _scope;
    private bool _scopeDisposed;

    /// <summary>
    /// A context for one attempt. The engine builds it for in-process handlers; a remote executor that runs a handler
    /// outside the engine (such as the sample executor running the exec handler) builds its own around the task it was
    /// handed, with a client of whatever engine the handler may call back into.
    /// </summary>
    /// <param name="task">The task being run (its input and attempt).</param>
    /// <param name="client">The engine the handler's run-data and child-task calls go to.</param>
    /// <param name="logger">The logger handed to the handler.</param>
    /// <param name="services">The attempt's DI scope.</param>
    public TaskContext(TaskRun task, IOrchestrationClient client, ILogger logger, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(services);
        Task = task;
        _client = client;
        _baseLogger = _logger = logger;
        _services = services;
    }

    // The in-process runtime's context: its DI scope is created when first asked for (most handlers never ask), and
    // its logger names the run and task in a scope around each write rather than around the whole attempt, so an
    // attempt that logs nothing costs no scope. With scopeEachWrite false the runtime holds a scope around the attempt.
    internal TaskContext(TaskRun task, IOrchestrationClient client, ILogger logger, IServiceScopeFactory scopes, bool scopeEachWrite)
    {
        Task = task;
        _client = client;
        _baseLogger = logger;
        _scopeEachWrite = scopeEachWrite;
        _scopes = scopes;
    }

    /// <summary>The task as claimed (input, attempt). Its lease stays with the executor: handlers never see a lease token.</summary>
    public TaskRun Task { get; }
    /// <summary>The run's org.</summary>
    public string OrgId => Task.OrgId;
    /// <summary>The run.</summary>
    public Guid RunId => Task.RunId;
    /// <summary>The task.</summary>
    public Guid TaskId => Task.Id;
    /// <summary>This attempt's number, 1 for the first.</summary>
    public int Attempt => Task.Attempt;
    /// <summary>A logger whose scope names the run and task.</summary>
    public ILogger Logger => _logger ??= _scopeEachWrite ? new TaskLogger(_baseLogger, Task) : _baseLogger;
    /// <summary>The attempt's DI scope.</summary>
    public IServiceProvider Services => _services ?? Volatile.Read(ref _scope)?.ServiceProvider ?? CreateScope();

    private IServiceProvider CreateScope()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _scopeDisposed), this);
        var scope = _scopes!.CreateScope();
        var first = Interlocked.CompareExchange(ref _scope, scope, null);
        if (first is null) return scope.ServiceProvider;
        scope.Dispose();
        return first.ServiceProvider;
    }

    // Ends the attempt's scope if one was created; a later request for it throws, as it would from a disposed scope.
    internal ValueTask DisposeScopeAsync()
    {
        Volatile.Write(ref _scopeDisposed, true);
        var scope = Interlocked.Exchange(ref _scope, null);
        if (scope is IAsyncDisposable async) return async.DisposeAsync();
        scope?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The exit code this attempt reports (the <c>exec</c> type sets its process's). Stored on the task with its completion
    /// or failure, where routes on exit codes read it; a <see cref="TaskFailedException.ExitCode"/> takes precedence.
    /// </summary>
    public int? ExitCode { get; set; }

    /// <summary>Adds a child task to this run (its parent is this task). Dependencies name tasks of the run.</summary>
    public async Task<TaskRun> AddChildTaskAsync(TaskSpec task, CancellationToken cancellationToken = default)
    {
        var result = await _client.AddTaskAsync(OrgId, RunId, task with { ParentTaskId = TaskId }, cancellationToken);
        return result.Status == AddTaskStatus.Added
            ? result.Task!
            : throw new InvalidOperationException($"could not add child task: {result.Status} {result.Detail}".TrimEnd());
    }

    /// <summary>Writes a run-data entry (a new entry; earlier ones of the key are kept, reads take the latest).</summary>
    public async Task<RunDataEntry> PutDataAsync<T>(string key, T value, IReadOnlyList<string>? tags = null, CancellationToken cancellationToken = default)
    {
        var entry = await _client.PutRunDataAsync(OrgId, RunId, new RunDataSpec
        {
            Key = key,
            ValueJson = JsonSerializer.Serialize(value, JsonDefaults.Options),
            TaskId = TaskId,
            Tags = tags ?? [],
        }, cancellationToken);
        return entry ?? throw new InvalidOperationException("the run no longer exists");
    }

    /// <summary>Reads the latest value of a key, or default when the key has no entry.</summary>
    public async Task<T?> GetDataAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var entry = await _client.Queries.GetLatestRunDataAsync(OrgId, RunId, key, cancellationToken);
        return entry?.ValueJson is null ? default : JsonSerializer.Deserialize<T>(entry.ValueJson, JsonDefaults.Options);
    }

    /// <summary>
    /// Stores <paramref name="content"/> (read to its end, streamed, never buffered whole) as an artifact of this task and
    /// run, named <paramref name="name"/> (a file name, never a path). Needs <c>AddArtifacts</c> in the host, or an
    /// <see cref="IArtifactUploader"/> in a remote executor; throws <see cref="ArtifactValidationException"/> or
    /// <see cref="ArtifactTooLargeException"/> when the artifact is refused.
    /// </summary>
    public Task<Artifact> UploadArtifactAsync(string name, Stream content, string? contentType = null, string? kind = null, CancellationToken cancellationToken = default)
    {
        var uploader = Services.GetService(typeof(IArtifactUploader)) as IArtifactUploader
                       ?? throw new InvalidOperationException("artifacts are not configured on this host: call AddArtifacts() on the orchestration builder");
        return uploader.UploadAsync(Task, new ArtifactUpload
        {
            OrgId = OrgId,
            Name = name,
            Kind = kind,
            RunId = RunId,
            TaskId = TaskId,
            // Formicary's task_type is the task's name within its job; other families name tasks by type alone.
            TaskType = Task.Name ?? Task.Type,
            ContentType = contentType,
        }, content, cancellationToken);
    }

    /// <summary>Fails this task for good, whatever attempts remain. Never returns.</summary>
    public static Exception FailPermanently(string message) => throw new TaskFailedException(message, retryable: false);
}
