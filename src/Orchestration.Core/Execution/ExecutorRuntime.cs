using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestration.Diagnostics;
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
    private readonly IExecutorFront _front;
    private readonly IServiceScopeFactory _scopes;
    private readonly IOrchestrationClient _client;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ExecutorRuntime> _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Dictionary<string, HandlerRegistration> _handlers;
    private readonly InFlightSet _inFlight = new();
    private readonly CompletionWriter _writer;
    private readonly Channel<(TaskRun Task, InFlight Entry)> _buffer = Channel.CreateUnbounded<(TaskRun, InFlight)>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Dictionary<string, ILogger> _taskLoggers = new(StringComparer.Ordinal);
    private readonly WorkSignal _room = new();
    private readonly int _maxUnfinished;
    private readonly double _prefetchWindowTicks;
    // Running average of handler durations in TimeProvider timestamp ticks; -1 until the first handler returns.
    private long _handlerTicks = ClaimSizing.Unmeasured;
    private int _buffered;
    private int _running;
    private long _unfinished;
    private int _claimWaiting;

    public ExecutorRuntime(
        IOrchestrationStore store,
        IExecutorFront front,
        IServiceScopeFactory scopes,
        IOrchestrationClient client,
        IEnumerable<HandlerRegistration> handlers,
        WorkerOptions options,
        TimeProvider time,
        ILoggerFactory loggerFactory)
    {
        _store = store;
        _front = front;
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

        _writer = new CompletionWriter(front, options, time, _logger, OnWritten);
        _prefetchWindowTicks = options.PrefetchWindow.TotalSeconds * time.TimestampFrequency;
        // Claimed tasks not yet durably finished: the running handlers, a full read-ahead, one more claim, and a full
        // completion batch.
        _maxUnfinished = options.MaxConcurrency + 2 * options.ClaimBatchSize + options.CompletionBatchSize;
    }

    /// <summary>Task types this runtime claims.</summary>
    public IReadOnlyCollection<string> ClaimedTypes =>
        _options.Types is { } only ? only.Where(_handlers.ContainsKey).ToArray() : _handlers.Keys.ToArray();

    /// <summary>Number of claimed tasks not yet finished (buffered, running, or with their result being written).</summary>
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
        foreach (var type in types) _taskLoggers[type] = _loggerFactory.CreateLogger("Orchestration.Task." + type);
        var writerLoop = Task.Run(_writer.RunAsync, CancellationToken.None);
        using var heartbeatStop = new CancellationTokenSource();
        // Read before the first claim: a cancellation that lands before the loop is scheduled must still wake it.
        var cancelVersion = _store.TasksCancelled.Version;
        var heartbeatLoop = Task.Run(() => HeartbeatLoopAsync(cancelVersion, heartbeatStop.Token), CancellationToken.None);
        var workers = new Task[_options.MaxConcurrency];
        for (var i = 0; i < workers.Length; i++) workers[i] = Task.Run(WorkerLoopAsync, CancellationToken.None);
        try
        {
            await ClaimLoopAsync(types, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }

        await DrainAsync(workers);
        // Heartbeats go on until every submitted result is written, so no lease expires under a slow final write.
        _writer.Close();
        await writerLoop;
        await heartbeatStop.CancelAsync();
        await heartbeatLoop;
        LogStopped(_logger, _options.ExecutorId);
    }

    // Claims for free handler slots into a local buffer that the worker loops run from. Handlers that have returned free
    // their slot at once (their result is group-committed in the background), so while one claim is in flight the
    // slots of finished handlers add up and the next claim takes them all: batches grow with load and store latency,
    // while an idle host still claims the moment work is signalled. Tasks whose results are not yet durable count
    // against a cap, so a slow store slows claiming instead of growing memory.
    private async Task ClaimLoopAsync(IReadOnlyCollection<string> types, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            var room = ClaimRoom();
            if (!ShouldClaim(room))
            {
                var roomVersion = _room.Version;
                Interlocked.Exchange(ref _claimWaiting, 1);
                if (!ShouldClaim(ClaimRoom())) await _room.WaitAsync(roomVersion, _options.PollInterval, _time, stoppingToken);
                Interlocked.Exchange(ref _claimWaiting, 0);
                continue;
            }

            var version = _store.WorkAvailable.Version;
            // Wall-clock like every span's times (the claim's span is recorded once the claim has returned tasks).
            var claimStartedAt = OrchestrationTracing.Source.HasListeners() ? DateTimeOffset.UtcNow : (DateTimeOffset?)null;
            // Assigned here although every path assigns it or continues: a mutant that drops the catch's `continue`
            // must still compile, or Stryker's safe mode gives up on mutating this whole method.
            IReadOnlyList<LeasedTask> claimed = [];
            try
            {
                claimed = await _front.ClaimAsync(new ClaimTasksParams
                {
                    ExecutorId = _options.ExecutorId,
                    Types = types,
                    Max = room,
                    LeaseDuration = _options.LeaseDuration,
                    TypeLimits = _options.TypeLimits.Count > 0 ? _options.TypeLimits : null,
                }, ExecutorProtocol.InProcess, stoppingToken);
                backoff = TimeSpan.Zero;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
                LogClaimFailed(_logger, ex, backoff);
                await Task.Delay(backoff, _time, stoppingToken);
                continue;
            }

            var traces = claimStartedAt is { } at && claimed.Count > 0 ? await TraceLinksAsync(at, claimed) : null;
            foreach (var (task, lease) in claimed)
            {
                var entry = new InFlight(lease, task.Attempt);
                if (traces is not null) entry.Trace = new TraceLinks(OrchestrationTracing.Parse(traces.Value.Stored.GetValueOrDefault(task.RunId)), traces.Value.Claim);
                _inFlight.Add(entry);
                Interlocked.Increment(ref _unfinished);
                Interlocked.Increment(ref _buffered);
                _buffer.Writer.TryWrite((task, entry));
            }

            if (claimed.Count == 0)
            {
                var signal = _store.WorkAvailable;
                await signal.WaitAsync(version, IdlePoll(_options, signal), _time, stoppingToken);
            }
        }
    }

    // The claim's span and the trace contexts its runs were created in, read only while someone listens. A failed read
    // costs the handlers' spans their parent, never the claimed tasks, so it is not cancelled by shutdown either.
    private async Task<(IReadOnlyDictionary<Guid, RunTraceContext> Stored, ActivityContext Claim)?> TraceLinksAsync(DateTimeOffset claimStartedAt, IReadOnlyList<LeasedTask> claimed)
    {
        var claim = OrchestrationTracing.RecordReceive(claimStartedAt, _options.ExecutorId, claimed.Count)?.Context ?? default;
        var runIds = new HashSet<Guid>();
        foreach (var leased in claimed) runIds.Add(leased.Task.RunId);
        try
        {
            return (await _client.Queries.GetRunTraceContextsAsync(runIds.ToArray(), CancellationToken.None), claim);
        }
        catch (Exception ex)
        {
            LogTraceReadFailed(_logger, ex);
            return (new Dictionary<Guid, RunTraceContext>(), claim);
        }
    }

    // The safety poll after an empty claim: long while the store hears every host's wake-ups, short otherwise.
    internal static TimeSpan IdlePoll(WorkerOptions options, WorkSignal signal) =>
        signal.Reliable && options.ListeningPollInterval > options.PollInterval ? options.ListeningPollInterval : options.PollInterval;

    // How many tasks the next claim may take: free handler slots plus the read-ahead, less what is already buffered,
    // capped by the batch size and by the unfinished-task limit.
    private int ClaimRoom() =>
        Math.Min(
            Math.Min(_options.ClaimBatchSize, Capacity() - Volatile.Read(ref _running) - Volatile.Read(ref _buffered)),
            _maxUnfinished - (int)Interlocked.Read(ref _unfinished));

    private int Capacity() => ClaimSizing.Capacity(_options.MaxConcurrency, _options.ClaimBatchSize, Volatile.Read(ref _handlerTicks), _prefetchWindowTicks);

    private bool ShouldClaim(int room) => ClaimSizing.ShouldClaim(room, _options.ClaimBatchSize, Capacity(), Volatile.Read(ref _buffered));

    // Lossy under races between workers, which is fine for an estimate that only sizes the read-ahead.
    private void RecordHandlerDuration(long ticks) => Volatile.Write(ref _handlerTicks, ClaimSizing.NextAverage(Volatile.Read(ref _handlerTicks), ticks));

    private void WakeClaimLoopIfRoom()
    {
        if (Volatile.Read(ref _claimWaiting) == 1 && ShouldClaim(ClaimRoom()) && Interlocked.Exchange(ref _claimWaiting, 0) == 1)
            _room.Notify();
    }

    // One of MaxConcurrency loops: runs buffered tasks one after another, so at most MaxConcurrency handlers run at once.
    private async Task WorkerLoopAsync()
    {
        var reader = _buffer.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (reader.TryRead(out var item))
            {
                Interlocked.Increment(ref _running);
                Interlocked.Decrement(ref _buffered);
                if (item.Entry.Stop.IsCancellationRequested)
                {
                    // Cancelled (or its lease lost) while it waited in the buffer: the store expects nothing from it.
                    LogAbandoned(_logger, item.Task.Id, item.Entry.StopReason ?? "stopped");
                    Interlocked.Decrement(ref _running);
                    Finish(item.Entry);
                    continue;
                }

                item.Entry.Started = true;
                await ExecuteOneAsync(item.Task, item.Entry);
                Interlocked.Decrement(ref _running);
                WakeClaimLoopIfRoom();
            }
        }
    }

    // Runs the handler and hands its result to the group-committing writer. The worker moves on to its next task while
    // the write is pending; the lease stays held (and heartbeated) until the write is durable (OnWritten).
    private async Task ExecuteOneAsync(TaskRun task, InFlight entry)
    {
        try
        {
            var registration = _handlers[task.Type];
            using var timeout = task.Timeout is { } t ? new CancellationTokenSource(t, _time) : null;
            using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(entry.Stop.Token, timeout.Token);
            var token = linked?.Token ?? entry.Stop.Token;

            var ambientScope = _options.AmbientLogScope;
            var context = new TaskContext(task, _client, _taskLoggers[task.Type], _scopes, scopeEachWrite: !ambientScope);
            try
            {
                using var logScope = ambientScope ? _taskLoggers[task.Type].BeginScope(new TaskLogScope(task.RunId, task.Id, task.Attempt)) : null;
                using var activity = OrchestrationTracing.StartProcess(task, entry.Trace?.Parent ?? default, entry.Trace?.Claim ?? default);
                var started = _time.GetTimestamp();
                try
                {
                    var output = await UntilAbandoned(registration.Run(context, token), token, task, entry);
                    RecordHandlerDuration(_time.GetTimestamp() - started);
                    OrchestrationMetrics.RecordHandler(task.Type, AttemptOutcomes.Completed, _time.GetElapsedTime(started));
                    Submit(entry, new TaskCompletion(entry.Lease, output) { ExitCode = context.ExitCode }, null);
                }
                catch (HandlerAbandonedException) when (!entry.Stop.IsCancellationRequested)
                {
                    // Its timeout fired and it ignored cancellation: fail the attempt now (fenced by the lease, retried per
                    // policy) instead of holding the lease and the slot for as long as it runs.
                    OrchestrationTracing.Failed(activity, "timeout", "the handler ignored cancellation and was abandoned");
                    OrchestrationMetrics.RecordHandler(task.Type, "timed_out", _time.GetElapsedTime(started));
                    Submit(entry, null, new TaskFailure(entry.Lease, JsonDefaults.ErrorJson($"timed out after {task.Timeout}; the handler ignored cancellation and was abandoned")));
                }
                catch (HandlerAbandonedException)
                {
                    // Lease lost, run cancelled or shutdown: the store expects no result from this attempt.
                }
                catch (OperationCanceledException) when (entry.Stop.IsCancellationRequested)
                {
                    // Lease lost, run cancelled or shutdown: the store no longer expects a result from this attempt.
                    OrchestrationTracing.Failed(activity, "abandoned", entry.StopReason);
                    LogAbandoned(_logger, task.Id, entry.StopReason ?? "stopped");
                }
                catch (OperationCanceledException) when (timeout?.IsCancellationRequested == true)
                {
                    OrchestrationTracing.Failed(activity, "timeout", $"timed out after {task.Timeout}");
                    OrchestrationMetrics.RecordHandler(task.Type, "timed_out", _time.GetElapsedTime(started));
                    Submit(entry, null, new TaskFailure(entry.Lease, JsonDefaults.ErrorJson($"timed out after {task.Timeout}")));
                }
                catch (TaskFailedException ex)
                {
                    RecordHandlerDuration(_time.GetTimestamp() - started);
                    OrchestrationTracing.Failed(activity, typeof(TaskFailedException).FullName!, ex.Message);
                    OrchestrationMetrics.RecordHandler(task.Type, AttemptOutcomes.Failed, _time.GetElapsedTime(started));
                    Submit(entry, null, new TaskFailure(entry.Lease, JsonDefaults.ErrorJson(ex.Message), ex.Retryable, ex.OutputJson) { ExitCode = ex.ExitCode ?? context.ExitCode });
                }
                catch (Exception ex)
                {
                    using (ambientScope ? null : _logger.BeginScope(new TaskLogScope(task.RunId, task.Id, task.Attempt)))
                        LogHandlerFailed(_logger, ex, task.Type, task.Id, task.Attempt);
                    OrchestrationTracing.Failed(activity, ex.GetType().FullName ?? "error", ex.Message);
                    OrchestrationMetrics.RecordHandler(task.Type, AttemptOutcomes.Failed, _time.GetElapsedTime(started));
                    Submit(entry, null, new TaskFailure(entry.Lease, JsonDefaults.ErrorJson($"{ex.GetType().Name}: {ex.Message}")) { ExitCode = context.ExitCode });
                }
            }
            finally
            {
                await context.DisposeScopeAsync();
            }
        }
        catch (Exception ex)
        {
            LogRuntimeError(_logger, ex, task.Id);
        }

        if (!entry.Submitted) Finish(entry);
    }

    private void Submit(InFlight entry, TaskCompletion? completion, TaskFailure? failure)
    {
        entry.Submitted = true;
        if (completion is not null) _writer.Complete(completion, entry);
        else _writer.Fail(failure!, entry);
    }

    // On the writer loop, once per submitted result: a direct call rather than a continuation per task, so finishing
    // a batch of results costs no thread-pool hops.
    private void OnWritten(object state, TaskWriteResult? result)
    {
        var entry = (InFlight)state;
        if (result is { Applied: false }) LogLeaseLost(_logger, entry.Lease.TaskId, entry.Attempt);
        Finish(entry);
    }

    private void Finish(InFlight entry)
    {
        _inFlight.Remove(entry);
        entry.Stop.Dispose();
        Interlocked.Decrement(ref _unfinished);
        WakeClaimLoopIfRoom();
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
        var entries = _inFlight.ToList();
        if (entries.Count == 0) return;
        var results = await _front.HeartbeatAsync(entries.Select(e => e.Lease).ToList(), _options.LeaseDuration, cancellationToken);
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i].Outcome == HeartbeatOutcome.Extended) continue;
            entries[i].RequestStop(results[i].Outcome == HeartbeatOutcome.Cancelled ? "cancelled" : "lease lost");
        }
    }

    private async Task DrainAsync(Task[] workers)
    {
        // Tasks still in the buffer never started: give them back at once so another host can run them.
        _buffer.Writer.TryComplete();
        var unstarted = new List<InFlight>();
        while (_buffer.Reader.TryRead(out var item))
        {
            Interlocked.Decrement(ref _buffered);
            item.Entry.RequestStop("shutdown");
            unstarted.Add(item.Entry);
            Finish(item.Entry);
        }

        if (unstarted.Count > 0) await ReleaseAsync(unstarted);

        var running = _inFlight.ToList().Count(e => e.Started && !e.Submitted);
        if (running > 0) LogDraining(_logger, running, _options.ShutdownTimeout);
        try
        {
            await Task.WhenAll(workers).WaitAsync(_options.ShutdownTimeout, _time);
        }
        catch (TimeoutException)
        {
            var left = _inFlight.ToList().Where(e => !e.Submitted).ToList();
            foreach (var e in left) e.RequestStop("shutdown");
            if (_options.ReleaseLeasesOnShutdown && left.Count > 0) await ReleaseAsync(left);
            await Task.WhenAll(workers);
        }

        // Results handed to the writer are written before its loop ends (ExecuteAsync closes it and waits for it while
        // heartbeats still run), so no lease is left dangling.
    }

    private async Task ReleaseAsync(List<InFlight> entries)
    {
        try
        {
            await _front.ReleaseAsync(entries.Select(e => e.Lease).ToList(), CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The leases will expire and the reaper will requeue the tasks; nothing is lost.
            LogReleaseFailed(_logger, ex, entries.Count);
        }
    }

    // The span context of the operation that created the task's run (default: none), and of the claim that took it.
    private sealed record TraceLinks(ActivityContext Parent, ActivityContext Claim);

    private sealed class InFlight(TaskLease lease, int attempt)
    {
        public TaskLease Lease { get; } = lease;
        public int Attempt { get; } = attempt;
        public CancellationTokenSource Stop { get; } = new();
        public bool Started { get; set; }

        // Set only for tasks claimed while someone listened: a reference, so an untraced task carries 8 bytes, not two contexts.
        public TraceLinks? Trace { get; set; }

        // A result was handed to the writer; Finish runs when it has been written.
        public bool Submitted { get; set; }
        public string? StopReason { get; private set; }

        // Links of InFlightSet, changed only under its lock.
        public InFlight? Previous { get; set; }
        public InFlight? Next { get; set; }
        public bool Linked { get; set; }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the trace contexts of claimed runs; their handlers' spans start new traces")]
    private static partial void LogTraceReadFailed(ILogger logger, Exception ex);
}
