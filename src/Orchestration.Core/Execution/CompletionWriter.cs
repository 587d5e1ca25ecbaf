using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>
/// Group commit for task results: handlers submit, one loop writes whatever has accumulated in a single store call
/// (completions and failures each batched), and each submitter learns through <paramref name="written"/> whether its
/// own write applied. While one batch is being written the next one fills, so batches grow with load and cost nothing
/// when idle. A batch that fails with an exception (database down) is retried with backoff until it is written.
/// </summary>
/// <param name="store">Where results are written.</param>
/// <param name="options">Supplies the batch size.</param>
/// <param name="time">Clock for the retry backoff.</param>
/// <param name="logger">Receives write failures.</param>
/// <param name="written">
/// Called once per submitted item, on the writer loop, with the item's state and its result; null when the writer was
/// already closed and nothing was written. It must be quick and must not throw: it runs between batches.
/// </param>
internal sealed partial class CompletionWriter(IOrchestrationStore store, WorkerOptions options, TimeProvider time, ILogger logger, Action<object, TaskWriteResult?> written)
{
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });

    public void Complete(TaskCompletion completion, object state) => Submit(new PendingWrite(completion, null, state));

    public void Fail(TaskFailure failure, object state) => Submit(new PendingWrite(null, failure, state));

    public void Close() => _queue.Writer.TryComplete();

    private void Submit(PendingWrite write)
    {
        if (!_queue.Writer.TryWrite(write)) written(write.State, null);
    }

    // Runs until Close() and the queue is drained. Never gives up on a batch: the store is the source of truth, and a
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
            if (completes.Count > 0)
            {
                var batch = new TaskCompletion[completes.Count];
                for (var i = 0; i < batch.Length; i++) batch[i] = completes[i].Completion!;
                Report(completes, await WriteWithRetryAsync(store.CompleteTasksAsync, batch));
            }

            if (fails.Count > 0)
            {
                var batch = new TaskFailure[fails.Count];
                for (var i = 0; i < batch.Length; i++) batch[i] = fails[i].Failure!;
                Report(fails, await WriteWithRetryAsync(store.FailTasksAsync, batch));
            }
        }
    }

    private void Report(List<PendingWrite> items, IReadOnlyList<TaskWriteResult> results)
    {
        for (var i = 0; i < items.Count; i++) written(items[i].State, results[i]);
    }

    private async Task<IReadOnlyList<TaskWriteResult>> WriteWithRetryAsync<T>(
        Func<IReadOnlyList<T>, CancellationToken, Task<IReadOnlyList<TaskWriteResult>>> write, T[] batch)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write(batch, CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogWriteFailed(logger, ex, batch.Length, attempt, delay);
                await Task.Delay(delay, time);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} task results failed (attempt {Attempt}); retrying in {Delay}")]
    private static partial void LogWriteFailed(ILogger logger, Exception ex, int count, int attempt, TimeSpan delay);

    private readonly record struct PendingWrite(TaskCompletion? Completion, TaskFailure? Failure, object State);
}
