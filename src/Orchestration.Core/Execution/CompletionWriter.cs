using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>
/// Group commit for task results: handlers submit, one loop writes whatever has accumulated in a single store call
/// (completions and failures each batched), and each submitter learns through <paramref name="written"/> whether its
/// own write applied. While one batch is being written the next one fills, so batches grow with load and cost nothing
/// when idle. A batch the store throws on is halved until the failing item stands alone, so one item the store
/// refuses for good cannot hold back the others; that item's task is then failed for good with an error saying its
/// result could not be stored. Transient errors (the database down or restarting) never count as a refusal: such an
/// item is retried with backoff until it is written.
/// </summary>
/// <param name="front">Where results are written: the executor front, each item fenced by its lease.</param>
/// <param name="options">Supplies the batch size.</param>
/// <param name="time">Clock for the retry backoff.</param>
/// <param name="logger">Receives write failures.</param>
/// <param name="written">
/// Called once per submitted item, on the writer loop, with the item's state and its result; null when the writer was
/// already closed and nothing was written. It must be quick and must not throw: it runs between batches.
/// </param>
internal sealed partial class CompletionWriter(IExecutorFront front, WorkerOptions options, TimeProvider time, ILogger logger, Action<object, TaskWriteResult?> written)
{
    /// <summary>A writer over a store's own front (the runtime passes the host's front; tests pass a bare store).</summary>
    public CompletionWriter(IOrchestrationStore store, WorkerOptions options, TimeProvider time, ILogger logger, Action<object, TaskWriteResult?> written)
        : this(new ExecutorFront(store, time), options, time, logger, written)
    {
    }

    // Non-transient errors of an item's own writes before it is taken to be refused for good.
    internal const int AloneTriesBeforeRefused = 3;

    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });

    public void Complete(TaskCompletion completion, object state) => Submit(new PendingWrite(completion, null, state));

    public void Fail(TaskFailure failure, object state) => Submit(new PendingWrite(null, failure, state));

    public void Close() => _queue.Writer.TryComplete();

    private void Submit(PendingWrite write)
    {
        if (!_queue.Writer.TryWrite(write)) written(write.State, null);
    }

    // Runs until Close() and the queue is drained. Never gives up on an item: the store is the source of truth, and a
    // write that later finds its lease gone is simply reported as not applied.
    public async Task RunAsync()
    {
        var completes = new List<PendingWrite>(options.CompletionBatchSize);
        var fails = new List<PendingWrite>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            completes.Clear();
            fails.Clear();
            while (completes.Count + fails.Count < options.CompletionBatchSize && _queue.Reader.TryRead(out var item))
                (item.Completion is not null ? completes : fails).Add(item);
            if (completes.Count > 0) await SettleAsync(completes, "complete");
            if (fails.Count > 0) await SettleAsync(fails, "fail");
        }
    }

    private async Task SettleAsync(List<PendingWrite> items, string operation)
    {
        using var activity = Diagnostics.OrchestrationTracing.StartSettle(operation, items.Count);
        await WriteAsync(items, 0, items.Count);
    }

    private async Task WriteAsync(List<PendingWrite> items, int start, int count)
    {
        try
        {
            var results = await WriteOnceAsync(items, start, count);
            for (var i = 0; i < count; i++) written(items[start + i].State, results[i]);
        }
        catch (Exception ex) when (count > 1)
        {
            LogBatchSplit(logger, ex, count);
            var half = count / 2;
            await WriteAsync(items, start, half);
            await WriteAsync(items, start + half, count - half);
        }
        catch (Exception ex)
        {
            written(items[start].State, await WriteAloneAsync(items[start], ex));
        }
    }

    private Task<IReadOnlyList<TaskWriteResult>> WriteOnceAsync(List<PendingWrite> items, int start, int count)
    {
        if (items[start].Completion is not null)
        {
            var batch = new TaskCompletion[count];
            for (var i = 0; i < count; i++) batch[i] = items[start + i].Completion!;
            return front.CompleteAsync(batch, ExecutorReport.InProcess, CancellationToken.None);
        }

        var failures = new TaskFailure[count];
        for (var i = 0; i < count; i++) failures[i] = items[start + i].Failure!;
        return front.FailAsync(failures, ExecutorReport.InProcess, CancellationToken.None);
    }

    // The item's first try failed inside its batch. Retry it alone with backoff. Errors the store reports as transient
    // (a dropped or stale connection, a timeout, a restarting server) say nothing about the item and never count
    // against it; once the item has been refused AloneTriesBeforeRefused times for other reasons, the task is failed
    // for good instead. That write succeeding is the proof that the store works and refuses only this item; while the
    // store is down it fails too, and the loop goes on waiting.
    private async Task<TaskWriteResult> WriteAloneAsync(PendingWrite item, Exception firstError)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        var error = firstError;
        var refusals = IsTransient(firstError) ? 0 : 1;
        var lease = item.Completion?.Lease ?? item.Failure!.Lease;
        for (var attempt = 1; ; attempt++)
        {
            LogWriteFailed(logger, error, attempt, delay);
            await Task.Delay(delay, time);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            try
            {
                return (await WriteOnceAsync([item], 0, 1))[0];
            }
            catch (Exception retryError)
            {
                error = retryError;
                if (!IsTransient(retryError)) refusals++;
            }

            if (refusals < AloneTriesBeforeRefused) continue;
            try
            {
                var refused = await front.FailAsync([new TaskFailure(lease, RefusedError(error), Retryable: false)], ExecutorReport.InProcess, CancellationToken.None);
                LogItemRefused(logger, error, lease.TaskId);
                return refused[0];
            }
            catch (Exception storeError)
            {
                error = storeError;
            }
        }
    }

    private static bool IsTransient(Exception error) => error switch
    {
        TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        System.Data.Common.DbException db when db.IsTransient => true,
        _ => error.InnerException is { } inner && IsTransient(inner),
    };

    // The exception's message can carry SQL or connection details, so only its type goes on the task; the log has it whole.
    private static string RefusedError(Exception error) =>
        JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["message"] = "the task's result could not be stored",
            ["reason"] = error.GetType().Name,
        });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing a batch of {Count} task results failed; writing it in halves to isolate the item the store refuses")]
    private static partial void LogBatchSplit(ILogger logger, Exception ex, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing a task result failed (attempt {Attempt}); retrying in {Delay}")]
    private static partial void LogWriteFailed(ILogger logger, Exception ex, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "The store refused the result of task {TaskId}; the task failed for good instead")]
    private static partial void LogItemRefused(ILogger logger, Exception ex, Guid taskId);

    private readonly record struct PendingWrite(TaskCompletion? Completion, TaskFailure? Failure, object State);
}
