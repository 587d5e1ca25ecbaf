using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>
/// The in-process executor: claims tasks whose types have handlers, runs them with bounded concurrency, heartbeats
/// their leases, and writes results through the group-committing <see cref="CompletionWriter"/>. On shutdown it stops
/// claiming, lets in-flight handlers finish up to <see cref="WorkerOptions.ShutdownTimeout"/>, then cancels the rest
/// and gives their leases back (or leaves them to expire).
/// </summary>
internal sealed partial class ExecutorRuntime : BackgroundService
{
    private readonly IOrchestrationStore _store;
    private readonly IServiceScopeFactory _scopes;
    private readonly IOrchestrationClient _client;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ExecutorRuntime> _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Dictionary<string, HandlerRegistration> _handlers;
    // Keyed by the whole lease, not the task id: after a lease is lost this runtime may claim the same task again
    // while the old attempt is still unwinding, and both must stay visible so the old one is told to stop.
    private readonly ConcurrentDictionary<TaskLease, InFlight> _inFlight = new();
    private readonly CompletionWriter _writer;
    private readonly SemaphoreSlim _slots;

    public ExecutorRuntime(
        IOrchestrationStore store,
        IServiceScopeFactory scopes,
        IOrchestrationClient client,
        IEnumerable<HandlerRegistration> handlers,
        WorkerOptions options,
        TimeProvider time,
        ILoggerFactory loggerFactory)
    {
        _store = store;
        _scopes = scopes;
        _client = client;
        _options = options;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ExecutorRuntime>();
        _handlers = new Dictionary<string, HandlerRegistration>(StringComparer.Ordinal);
        foreach (var h in handlers)
        {
            if (!_handlers.TryAdd(h.Type, h))
                throw new InvalidOperationException($"Orchestration: two handlers are registered for task type '{h.Type}'; register each type once.");
        }

        _writer = new CompletionWriter(store, options, time, _logger);
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
    }

    /// <summary>Task types this runtime claims.</summary>
    public IReadOnlyCollection<string> ClaimedTypes =>
        _options.Types is { } only ? only.Where(_handlers.ContainsKey).ToArray() : _handlers.Keys.ToArray();

    /// <summary>Number of handlers running now.</summary>
    public int InFlightCount => _inFlight.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var types = ClaimedTypes;
        if (!_options.Enabled || types.Count == 0)
        {
            LogIdle(_logger, _options.Enabled);
            return;
        }

        LogStarted(_logger, _options.ExecutorId, string.Join(", ", types), _options.MaxConcurrency);
        var writerLoop = Task.Run(_writer.RunAsync, CancellationToken.None);
        using var heartbeatStop = new CancellationTokenSource();
        // Read before the first claim: a cancellation that lands before the loop is scheduled must still wake it.
        var cancelVersion = _store.TasksCancelled.Version;
        var heartbeatLoop = Task.Run(() => HeartbeatLoopAsync(cancelVersion, heartbeatStop.Token), CancellationToken.None);
        try
        {
            await ClaimLoopAsync(types, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }

        await DrainAsync();
        await heartbeatStop.CancelAsync();
        _writer.Close();
        await writerLoop;
        await heartbeatLoop;
        LogStopped(_logger, _options.ExecutorId);
    }

    private async Task ClaimLoopAsync(IReadOnlyCollection<string> types, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            await _slots.WaitAsync(stoppingToken);
            var acquired = 1;
            while (acquired < _options.ClaimBatchSize && _slots.Wait(0, CancellationToken.None)) acquired++;

            var version = _store.WorkAvailable.Version;
            IReadOnlyList<TaskRun> claimed;
            try
            {
                claimed = await _store.ClaimTasksAsync(new ClaimTasksParams
                {
                    ExecutorId = _options.ExecutorId,
                    Types = types,
                    Max = acquired,
                    LeaseDuration = _options.LeaseDuration,
                    TypeLimits = _options.TypeLimits.Count > 0 ? _options.TypeLimits : null,
                }, stoppingToken);
                backoff = TimeSpan.Zero;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _slots.Release(acquired);
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
                LogClaimFailed(_logger, ex, backoff);
                await Task.Delay(backoff, _time, stoppingToken);
                continue;
            }

            if (claimed.Count < acquired) _slots.Release(acquired - claimed.Count);
            foreach (var task in claimed) Start(task);
            if (claimed.Count == 0) await _store.WorkAvailable.WaitAsync(version, _options.PollInterval, _time, stoppingToken);
        }
    }

    private void Start(TaskRun task)
    {
        var entry = new InFlight(new TaskLease(task.Id, task.LeaseToken!.Value));
        _inFlight[entry.Lease] = entry;
        entry.Execution = Task.Run(() => ExecuteOneAsync(task, entry));
    }

    private async Task ExecuteOneAsync(TaskRun task, InFlight entry)
    {
        try
        {
            var registration = _handlers[task.Type];
            using var timeout = task.Timeout is { } t ? new CancellationTokenSource(t, _time) : null;
            using var linked = timeout is null
                ? CancellationTokenSource.CreateLinkedTokenSource(entry.Stop.Token)
                : CancellationTokenSource.CreateLinkedTokenSource(entry.Stop.Token, timeout.Token);

            Task<TaskWriteResult> write;
            await using (var scope = _scopes.CreateAsyncScope())
            {
                var logger = _loggerFactory.CreateLogger("Orchestration.Task." + task.Type);
                using var logScope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = task.RunId, ["TaskId"] = task.Id, ["Attempt"] = task.Attempt });
                var context = new TaskContext(task, _client, logger, scope.ServiceProvider);
                try
                {
                    var output = await registration.Invoke(scope.ServiceProvider, context, linked.Token);
                    write = _writer.CompleteAsync(new TaskCompletion(entry.Lease, output));
                }
                catch (OperationCanceledException) when (entry.Stop.IsCancellationRequested)
                {
                    // Lease lost, run cancelled or shutdown: the store no longer expects a result from this attempt.
                    LogAbandoned(_logger, task.Id, entry.StopReason ?? "stopped");
                    return;
                }
                catch (OperationCanceledException) when (timeout?.IsCancellationRequested == true)
                {
                    write = _writer.FailAsync(new TaskFailure(entry.Lease, JsonDefaults.ErrorJson($"timed out after {task.Timeout}")));
                }
                catch (TaskFailedException ex)
                {
                    write = _writer.FailAsync(new TaskFailure(entry.Lease, JsonDefaults.ErrorJson(ex.Message), ex.Retryable, ex.OutputJson));
                }
                catch (Exception ex)
                {
                    LogHandlerFailed(_logger, ex, task.Type, task.Id, task.Attempt);
                    write = _writer.FailAsync(new TaskFailure(entry.Lease, JsonDefaults.ErrorJson($"{ex.GetType().Name}: {ex.Message}")));
                }
            }

            var result = await write;
            if (!result.Applied) LogLeaseLost(_logger, task.Id, task.Attempt);
        }
        catch (Exception ex)
        {
            LogRuntimeError(_logger, ex, task.Id);
        }
        finally
        {
            _inFlight.TryRemove(entry.Lease, out _);
            entry.Stop.Dispose();
            _slots.Release();
        }
    }

    private async Task HeartbeatLoopAsync(long version, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _store.TasksCancelled.WaitAsync(version, _options.HeartbeatInterval, _time, stop);
                // Re-read before heartbeating, so a cancellation during the heartbeat triggers another one.
                version = _store.TasksCancelled.Version;
                await HeartbeatOnceAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogHeartbeatFailed(_logger, ex);
            }
        }
    }

    internal async Task HeartbeatOnceAsync(CancellationToken cancellationToken)
    {
        var entries = _inFlight.Values.ToList();
        if (entries.Count == 0) return;
        var results = await _store.HeartbeatTasksAsync(new HeartbeatTasksParams(entries.Select(e => e.Lease).ToList(), _options.LeaseDuration), cancellationToken);
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i].Outcome == HeartbeatOutcome.Extended) continue;
            entries[i].RequestStop(results[i].Outcome == HeartbeatOutcome.Cancelled ? "cancelled" : "lease lost");
        }
    }

    private async Task DrainAsync()
    {
        var running = _inFlight.Values.Select(e => e.Execution).Where(t => t is not null).Cast<Task>().ToList();
        if (running.Count == 0) return;
        LogDraining(_logger, running.Count, _options.ShutdownTimeout);
        try
        {
            await Task.WhenAll(running).WaitAsync(_options.ShutdownTimeout, _time);
            return;
        }
        catch (TimeoutException)
        {
            // Fall through: cancel what is left.
        }

        var left = _inFlight.Values.ToList();
        foreach (var e in left) e.RequestStop("shutdown");
        if (_options.ReleaseLeasesOnShutdown && left.Count > 0)
        {
            try
            {
                await _store.ReleaseTasksAsync(left.Select(e => e.Lease).ToList(), CancellationToken.None);
            }
            catch (Exception ex)
            {
                // The leases will expire and the reaper will requeue the tasks; nothing is lost.
                LogReleaseFailed(_logger, ex, left.Count);
            }
        }

        await Task.WhenAll(left.Select(e => e.Execution).Where(t => t is not null).Cast<Task>());
    }

    private sealed class InFlight(TaskLease lease)
    {
        public TaskLease Lease { get; } = lease;
        public CancellationTokenSource Stop { get; } = new();
        public Task? Execution { get; set; }
        public string? StopReason { get; private set; }

        public void RequestStop(string reason)
        {
            StopReason ??= reason;
            try
            {
                Stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The attempt already finished.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Executor {ExecutorId} started for task types [{Types}] with concurrency {Concurrency}")]
    private static partial void LogStarted(ILogger logger, string executorId, string types, int concurrency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Executor {ExecutorId} stopped")]
    private static partial void LogStopped(ILogger logger, string executorId);

    [LoggerMessage(Level = LogLevel.Information, Message = "In-process worker not started (enabled: {Enabled}; no handler registered for a claimable type otherwise)")]
    private static partial void LogIdle(ILogger logger, bool enabled);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming tasks failed; retrying in {Backoff}")]
    private static partial void LogClaimFailed(ILogger logger, Exception ex, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handler for {Type} failed on task {TaskId} attempt {Attempt}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception ex, string type, Guid taskId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} attempt {Attempt}: result not applied, the lease was lost")]
    private static partial void LogLeaseLost(ILogger logger, Guid taskId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} stopped: {Reason}")]
    private static partial void LogAbandoned(ILogger logger, Guid taskId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Executor runtime error on task {TaskId}")]
    private static partial void LogRuntimeError(ILogger logger, Exception ex, Guid taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutdown: waiting up to {Timeout} for {Count} running tasks")]
    private static partial void LogDraining(ILogger logger, int count, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release {Count} leases on shutdown; they will expire")]
    private static partial void LogReleaseFailed(ILogger logger, Exception ex, int count);
}
