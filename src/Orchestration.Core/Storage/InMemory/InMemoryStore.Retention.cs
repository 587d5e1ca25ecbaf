using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Retention by rule and storage growth. Finished runs are found by scanning: the reference store favours plain code,
// and its size is bounded by MaxFinishedRuns anyway.
public sealed partial class InMemoryStore : IRetentionStore
{
    /// <inheritdoc />
    public Task<RetentionResult> DeleteExpiredRunsAsync(RetentionPass pass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentOutOfRangeException.ThrowIfLessThan(pass.BatchSize, 1);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var budget = pass.BatchSize;
            var counts = new List<RetentionCount>();
            var gone = new HashSet<Guid>();
            foreach (var target in pass.Targets)
            {
                if (budget == 0) break;
                var cutoff = now - target.Ttl;
                var due = _runs.Values
                    .Where(r => r.Status.IsTerminal() && r.Run.CompletedAt is { } at && at <= cutoff && target.Applies(r.Status, r.Family, r.Run.Name))
                    .OrderBy(r => r.Run.CompletedAt)
                    .Take(budget)
                    .ToList();
                foreach (var run in due) Forget(run, gone);
                budget -= due.Count;
                if (due.Count > 0) counts.Add(new RetentionCount(target.Rule, target.State, due.Count));
            }

            _events.RemoveRuns(gone);
            // Forgotten runs leave stale entries in the finished queue; with delete-on-complete the bound may never be
            // reached to drain them, so they are dropped here as a restart does.
            if (gone.Count > 0 && _finished.Count > 2 * _finishedCount + 1024)
            {
                var live = _finished.Where(e => e.Run.FinishedSequence == e.Sequence).ToList();
                _finished.Clear();
                foreach (var e in live) _finished.Enqueue(e);
            }

            var deliveries = 0;
            if (pass.WebhookDeliveryTtl is { } ttl)
            {
                var cutoff = now - ttl;
                for (var i = 0; i < _deliveries.Count && deliveries < pass.BatchSize;)
                {
                    var d = _deliveries[i].Delivery;
                    if (d.Status != WebhookDeliveryStatus.Pending && d.CreatedAt <= cutoff)
                    {
                        _deliveries.RemoveAt(i);
                        deliveries++;
                    }
                    else
                    {
                        i++;
                    }
                }
            }

            return Task.FromResult(new RetentionResult(counts, deliveries, pass.BatchSize));
        }
    }

    // Evict removes the run, its tasks (with their attempts) and its run data; the finished-run bound stops counting it.
    private void Forget(RunState run, HashSet<Guid> gone)
    {
        Evict(run);
        if (run.FinishedSequence > 0) _finishedCount--;
        // Its entry in the finished queue, if any, is stale from now on.
        run.FinishedSequence = -1;
        gone.Add(run.Id);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TableGrowth>> GetStorageGrowthAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            long attempts = 0, data = 0;
            DateTimeOffset? oldestRun = null, oldestTask = null, oldestAttempt = null, oldestData = null;
            foreach (var run in _runs.Values)
            {
                oldestRun = Min(oldestRun, run.Run.CreatedAt);
                foreach (var entry in run.Data)
                {
                    data++;
                    oldestData = Min(oldestData, entry.CreatedAt);
                }
            }

            foreach (var task in _tasks.Values)
            {
                oldestTask = Min(oldestTask, task.Task.CreatedAt);
                attempts += task.EndedAttempts;
                if (task.FirstAttemptStartedAt is { } started) oldestAttempt = Min(oldestAttempt, started);
            }

            var (events, oldestEvent) = _events.Growth();
            DateTimeOffset? oldestDelivery = _deliveries.Count == 0 ? null : _deliveries.Min(d => d.Delivery.CreatedAt);
            DateTimeOffset? oldestExecutor = _executors.Count == 0 ? null : _executors.Values.Min(e => e.LastSeen);
            IReadOnlyList<TableGrowth> growth =
            [
                new(GrowthTables.Runs, _runs.Count, oldestRun),
                new(GrowthTables.Tasks, _tasks.Count, oldestTask),
                new(GrowthTables.Attempts, attempts, oldestAttempt),
                new(GrowthTables.Events, events, oldestEvent),
                new(GrowthTables.RunData, data, oldestData),
                new(GrowthTables.WebhookDeliveries, _deliveries.Count, oldestDelivery),
                new(GrowthTables.Executors, _executors.Count, oldestExecutor),
            ];
            return Task.FromResult(growth);
        }
    }

    private static DateTimeOffset? Min(DateTimeOffset? current, DateTimeOffset value) => current is { } c && c <= value ? c : value;
}
