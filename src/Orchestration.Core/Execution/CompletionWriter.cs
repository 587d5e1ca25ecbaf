using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>
/// Group commit for task results: handlers submit, one loop writes whatever has accumulated in a single store call
/// (completions and failures each batched), and each submitter learns whether its own write applied. While one
/// batch is being written the next one fills, so batches grow with load and cost nothing when idle.
/// A batch that fails with an exception (database down) is retried with backoff until it is written.
/// </summary>
internal sealed partial class CompletionWriter(IOrchestrationStore store, WorkerOptions options, TimeProvider time, ILogger logger)
{
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });

    public Task<TaskWriteResult> CompleteAsync(TaskCompletion completion) => Submit(new PendingWrite(completion, null));

    public Task<TaskWriteResult> FailAsync(TaskFailure failure) => Submit(new PendingWrite(null, failure));

    public void Close() => _queue.Writer.TryComplete();

    private Task<TaskWriteResult> Submit(PendingWrite write)
    {
        if (!_queue.Writer.TryWrite(write))
            return Task.FromException<TaskWriteResult>(new InvalidOperationException("the executor runtime is stopped"));
        return write.Result.Task;
    }

    // Runs until Close() and the queue is drained. Never gives up on a batch: the store is the source of truth, and a
    // write that later finds its lease gone is simply reported as not applied.
    public async Task RunAsync()
    {
        var batch = new List<PendingWrite>(options.CompletionBatchSize);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < options.CompletionBatchSize && _queue.Reader.TryRead(out var item)) batch.Add(item);
            if (batch.Count == 0) continue;
            await WriteWithRetryAsync(batch);
        }
    }

    private async Task WriteWithRetryAsync(List<PendingWrite> batch)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(batch);
                return;
            }
            catch (Exception ex)
            {
                LogWriteFailed(logger, ex, batch.Count, attempt, delay);
                await Task.Delay(delay, time);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private async Task WriteAsync(List<PendingWrite> batch)
    {
        List<PendingWrite>? completes = null, fails = null;
        foreach (var w in batch)
        {
            if (w.Completion is not null) (completes ??= []).Add(w);
            else (fails ??= []).Add(w);
        }

        if (completes is not null)
        {
            var results = await store.CompleteTasksAsync(completes.Select(w => w.Completion!).ToList(), CancellationToken.None);
            for (var i = 0; i < completes.Count; i++) completes[i].Result.TrySetResult(results[i]);
        }

        if (fails is not null)
        {
            var results = await store.FailTasksAsync(fails.Select(w => w.Failure!).ToList(), CancellationToken.None);
            for (var i = 0; i < fails.Count; i++) fails[i].Result.TrySetResult(results[i]);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} task results failed (attempt {Attempt}); retrying in {Delay}")]
    private static partial void LogWriteFailed(ILogger logger, Exception ex, int count, int attempt, TimeSpan delay);

    private sealed class PendingWrite(TaskCompletion? completion, TaskFailure? failure)
    {
        public TaskCompletion? Completion { get; } = completion;
        public TaskFailure? Failure { get; } = failure;
        public TaskCompletionSource<TaskWriteResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
