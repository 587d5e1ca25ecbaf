using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestration.Storage;

namespace Orchestration.Execution;

/// <summary>
/// Applies <c>SearchableInputFields</c> to the store when the host starts (before it serves requests, so a search on a
/// field just removed is refused at once) and then backfills newly declared fields for older runs in the background, in
/// batches of <see cref="BatchSize"/> runs, each its own transaction that records its progress: a restart resumes where
/// the last batch ended. Until a field's backfill ends, a search on it finds the runs written since it was declared and
/// the older ones indexed so far.
/// </summary>
internal sealed partial class SearchIndexService(
    SearchIndexService.Declared declared,
    IOrchestrationStore store,
    ILogger<SearchIndexService> logger,
    IRunSearchIndex? registered = null) : BackgroundService
{
    // The store registers its index itself, so a decorated IOrchestrationStore (metrics, tests) keeps it.
    private readonly IRunSearchIndex? _index = registered ?? store as IRunSearchIndex;

    internal const int BatchSize = 1000;

    /// <summary>The validated option, registered once by <c>AddOrchestration</c>.</summary>
    internal sealed record Declared(IReadOnlyList<string> Fields);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_index is { } index)
        {
            var change = await index.DeclareSearchFieldsAsync(new DeclareSearchFieldsParams(declared.Fields), cancellationToken);
            if (change.Added.Count > 0) LogAdded(logger, string.Join(", ", change.Added));
            if (change.Removed.Count > 0) LogRemoved(logger, string.Join(", ", change.Removed));
        }
        else if (declared.Fields.Count > 0)
        {
            LogNoIndex(logger, store.GetType().Name);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_index is not { } index) return;
        await Task.Yield();
        long runs = 0;
        try
        {
            while (true)
            {
                var progress = await index.BackfillSearchFieldsAsync(new BackfillSearchFieldsParams(BatchSize), stoppingToken);
                runs += progress.RunsRead;
                if (progress.Pending.Count == 0)
                {
                    if (runs > 0) LogDone(logger, runs);
                    return;
                }

                LogProgress(logger, string.Join(", ", progress.Pending), runs);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The next start resumes from the last committed batch.
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Search: input fields {Fields} are now indexed; older runs are being backfilled")]
    private static partial void LogAdded(ILogger logger, string fields);

    [LoggerMessage(Level = LogLevel.Information, Message = "Search: input fields {Fields} are no longer indexed; their terms were deleted")]
    private static partial void LogRemoved(ILogger logger, string fields);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Search: SearchableInputFields is set but the store {Store} has no search index; input searches are refused")]
    private static partial void LogNoIndex(ILogger logger, string store);

    [LoggerMessage(Level = LogLevel.Information, Message = "Search backfill: {Runs} runs read so far, fields {Fields} still pending")]
    private static partial void LogProgress(ILogger logger, string fields, long runs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Search backfill done: {Runs} runs read")]
    private static partial void LogDone(ILogger logger, long runs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Search backfill failed; it resumes at the next start")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
