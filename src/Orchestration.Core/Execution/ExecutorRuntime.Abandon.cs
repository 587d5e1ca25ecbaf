using Microsoft.Extensions.Logging;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Execution;

// Abandon: a handler that ignores its cancellation token must not hold its lease and its slot forever. After the grace
// period the attempt is given up (ExecuteOneAsync writes what the store expects from it); the handler's own later result
// is still sent, so the store's lease fence, not this runtime's bookkeeping, is what refuses it.
internal sealed partial class ExecutorRuntime
{
    private int _lateResultsRefused;

    /// <summary>Results of abandoned handlers that the store refused (the lease had moved on).</summary>
    internal int LateResultsRefused => Volatile.Read(ref _lateResultsRefused);

    /// <summary>Notified after each late result the store refused, so a test can wait for one without polling.</summary>
    internal WorkSignal LateResultRefused { get; } = new();

    // Most handlers finish without their token firing; only a pending one pays for the watch.
    private Task<string?> UntilAbandoned(Task<string?> handler, CancellationToken token, TaskRun task, InFlight entry) =>
        handler.IsCompleted ? handler : WatchAsync(handler, token, task, entry);

    private async Task<string?> WatchAsync(Task<string?> handler, CancellationToken token, TaskRun task, InFlight entry)
    {
        try
        {
            return await handler.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!handler.IsCompleted && token.IsCancellationRequested)
        {
            // Cancelled while the handler still runs: it now has the grace period to notice.
        }

        try
        {
            return await handler.WaitAsync(_options.AbandonGracePeriod, _time).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!handler.IsCompleted)
        {
            // Ignored its token for the whole grace period.
        }

        LogHandlerAbandoned(_logger, task.Id, task.Type, task.Attempt, entry.StopReason ?? "timed out", _options.AbandonGracePeriod);
        _ = SendLateResultAsync(handler, entry.Lease, task);
        throw new HandlerAbandonedException();
    }

    private async Task SendLateResultAsync(Task<string?> handler, TaskLease lease, TaskRun task)
    {
        try
        {
            IReadOnlyList<TaskWriteResult> written;
            try
            {
                var output = await handler.ConfigureAwait(false);
                written = await _front.CompleteAsync([new TaskCompletion(lease, output)], ExecutorReport.InProcess, CancellationToken.None).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                var retryable = ex is not TaskFailedException { Retryable: false };
                written = await _front.FailAsync([new TaskFailure(lease, JsonDefaults.ErrorJson(ex.Message), retryable)], ExecutorReport.InProcess, CancellationToken.None).ConfigureAwait(false);
            }

            if (written.Count > 0 && !written[0].Applied)
            {
                Interlocked.Increment(ref _lateResultsRefused);
                LateResultRefused.Notify();
                LogLateResultRefused(_logger, task.Id, task.Attempt);
            }
        }
        catch (Exception ex)
        {
            // The store may be gone (the host stopped meanwhile); an abandoned attempt's result is not owed to anyone.
            LogLateResultFailed(_logger, ex, task.Id, task.Attempt);
        }
    }

    private sealed class HandlerAbandonedException : Exception
    {
        public HandlerAbandonedException() : base("handler abandoned") { }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} ({Type}) attempt {Attempt}: the handler ignored cancellation ({Reason}) for {Grace} and was abandoned; its lease is given up and its slot freed, and its late result will be refused")]
    private static partial void LogHandlerAbandoned(ILogger logger, Guid taskId, string type, int attempt, string reason, TimeSpan grace);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} attempt {Attempt}: the abandoned handler finished late; the lease fence refused its result")]
    private static partial void LogLateResultRefused(ILogger logger, Guid taskId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} attempt {Attempt}: the late result of an abandoned handler could not be sent")]
    private static partial void LogLateResultFailed(ILogger logger, Exception ex, Guid taskId, int attempt);
}
