using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Queries.
public sealed partial class InMemoryStore
{
    /// <inheritdoc />
    public Task<Run?> GetRunAsync(string orgId, Guid runId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(TryGetRun(orgId, runId, out var run) ? Snapshot(run) : null);
    }

    /// <inheritdoc />
    public Task<Run?> GetRunByIdempotencyKeyAsync(string orgId, string idempotencyKey, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_idempotency.TryGetValue((orgId, idempotencyKey), out var id) ? Snapshot(_runs[id]) : null);
        }
    }

    /// <inheritdoc />
    public Task<Page<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            CheckSearchFields(query);
            var matching = _runs.Values.Where(r => string.Equals(r.OrgId, query.OrgId, StringComparison.Ordinal)
                && (query.Family is null || string.Equals(r.Family, query.Family, StringComparison.Ordinal))
                && (query.Status is null || r.Status == query.Status)
                && (query.Names is null || (r.Run.Name is { } name && query.Names.Contains(name)))
                && (query.WithTaskIn is not { } with || r.Tasks.Any(t => t.Task.Status == with))
                && (query.WithoutTaskIn is not { } without || !r.Tasks.Any(t => without.Contains(t.Task.Status)))
                && (query.CreatedFrom is null || r.Run.CreatedAt >= query.CreatedFrom)
                && (query.CreatedBefore is null || r.Run.CreatedAt < query.CreatedBefore)
                && MatchesSearch(r, query)).ToList();
            IEnumerable<RunState> ordered = query.SortBy switch
            {
                RunSortField.UpdatedAt => query.Descending ? matching.OrderByDescending(r => r.Run.UpdatedAt).ThenByDescending(r => r.Run.Id) : matching.OrderBy(r => r.Run.UpdatedAt).ThenBy(r => r.Run.Id),
                RunSortField.Status => query.Descending ? matching.OrderByDescending(r => r.Run.Status.ToWire(), StringComparer.Ordinal).ThenByDescending(r => r.Run.Id) : matching.OrderBy(r => r.Run.Status.ToWire(), StringComparer.Ordinal).ThenBy(r => r.Run.Id),
                // Runs without the time come last in either direction, as the SQL stores order them (NULLS LAST).
                RunSortField.StartedAt => query.Descending
                    ? matching.OrderBy(r => r.Run.StartedAt is null).ThenByDescending(r => r.Run.StartedAt).ThenByDescending(r => r.Run.Id)
                    : matching.OrderBy(r => r.Run.StartedAt is null).ThenBy(r => r.Run.StartedAt).ThenBy(r => r.Run.Id),
                RunSortField.CompletedAt => query.Descending
                    ? matching.OrderBy(r => r.Run.CompletedAt is null).ThenByDescending(r => r.Run.CompletedAt).ThenByDescending(r => r.Run.Id)
                    : matching.OrderBy(r => r.Run.CompletedAt is null).ThenBy(r => r.Run.CompletedAt).ThenBy(r => r.Run.Id),
                _ => query.Descending ? matching.OrderByDescending(r => r.Run.CreatedAt).ThenByDescending(r => r.Run.Id) : matching.OrderBy(r => r.Run.CreatedAt).ThenBy(r => r.Run.Id),
            };
            var fits = StoredPayload.Budget<Run>(query.PayloadBudgetChars, StoredPayload.Cost);
            var page = ordered.Skip(query.Offset).Take(query.Limit).Select(r => Capped(Snapshot(r), query.MaxPayloadChars)).TakeWhile(fits).ToList();
            return Task.FromResult(new Page<Run>(page, matching.Count));
        }
    }

    /// <inheritdoc />
    public Task<TaskRun?> GetTaskAsync(string orgId, Guid taskId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_tasks.TryGetValue(taskId, out var ts) && string.Equals(ts.Task.OrgId, orgId, StringComparison.Ordinal) ? ts.Task : null);
        }
    }

    /// <inheritdoc />
    public Task<Page<TaskRun>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IEnumerable<TaskState> source = query.RunId is { } runId
                ? (TryGetRun(query.OrgId, runId, out var run) ? run.Tasks : [])
                : _tasks.Values.Where(t => string.Equals(t.OrgId, query.OrgId, StringComparison.Ordinal));
            var matching = source.Where(t => (query.Status is null || t.Status == query.Status)
                && (query.Statuses is null || query.Statuses.Contains(t.Status))
                && (query.Name is null || string.Equals(t.Name, query.Name, StringComparison.Ordinal))
                && (query.Priority is null || t.Priority == query.Priority)
                && (query.Type is null || string.Equals(t.Type, query.Type, StringComparison.Ordinal))
                && (query.Family is null || string.Equals(_runs[t.RunId].Family, query.Family, StringComparison.Ordinal)))
                .ToList();
            Func<TaskState, DateTimeOffset?> time = query.SortBy switch
            {
                TaskSortField.StartedAt => t => t.Task.StartedAt,
                TaskSortField.CompletedAt => t => t.Task.CompletedAt,
                _ => _ => null,
            };
            // Tasks without the time come last in either direction, as the SQL stores order them (NULLS LAST); with
            // creation order every time is null and the sequence alone decides.
            var ordered = query.Descending
                ? matching.OrderBy(t => time(t) is null).ThenByDescending(time).ThenByDescending(t => t.Sequence)
                : matching.OrderBy(t => time(t) is null).ThenBy(time).ThenBy(t => t.Sequence);
            var fits = StoredPayload.Budget<TaskRun>(query.PayloadBudgetChars, StoredPayload.Cost);
            var page = ordered.Skip(query.Offset).Take(query.Limit).Select(t => Capped(t.Task, query.MaxPayloadChars)).TakeWhile(fits).ToList();
            return Task.FromResult(new Page<TaskRun>(page, matching.Count));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<UnfinishedTaskCount>> CountUnfinishedTasksAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var counts = new Dictionary<(string Org, string Family, TaskRunStatus Status), long>();
            foreach (var t in _tasks.Values)
            {
                if (t.Status is not (TaskRunStatus.Pending or TaskRunStatus.Queued or TaskRunStatus.Retrying or TaskRunStatus.Running)) continue;
                var key = (t.OrgId, _runs[t.RunId].Family, t.Status);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }

            IReadOnlyList<UnfinishedTaskCount> result = [.. counts.Select(c => new UnfinishedTaskCount(c.Key.Org, c.Key.Family, c.Key.Status, c.Value))];
            return Task.FromResult(result);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskRun>> GetRunTasksAsync(string orgId, Guid runId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<TaskRun> tasks = TryGetRun(orgId, runId, out var run) ? run.Tasks.Select(t => t.Task).ToList() : [];
            return Task.FromResult(tasks);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskAttempt>> GetAttemptsAsync(string orgId, Guid taskId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<TaskAttempt> attempts = _tasks.TryGetValue(taskId, out var ts) && string.Equals(ts.Task.OrgId, orgId, StringComparison.Ordinal)
                ? ts.Attempts
                : [];
            return Task.FromResult(attempts);
        }
    }

    /// <inheritdoc />
    public Task<RunDataEntry?> GetLatestRunDataAsync(string orgId, Guid runId, string key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!TryGetRun(orgId, runId, out var run)) return Task.FromResult<RunDataEntry?>(null);
            return Task.FromResult(run.Data.LastOrDefault(e => string.Equals(e.Key, key, StringComparison.Ordinal)));
        }
    }

    /// <inheritdoc />
    public Task<Page<RunDataEntry>> QueryRunDataAsync(RunDataQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!TryGetRun(query.OrgId, query.RunId, out var run)) return Task.FromResult(new Page<RunDataEntry>([], 0));
            // Position in run.Data is insertion order: the tie-breaker and the meaning of "latest".
            var matching = run.Data.Select((e, i) => (Entry: e, Seq: i)).Where(x => RunDataFilter.Matches(query, x.Entry)).ToList();
            if (!query.IncludeAll)
                matching = matching.GroupBy(x => x.Entry.Key, StringComparer.Ordinal).Select(g => g.MaxBy(x => x.Seq)).ToList();
            var ordered = (query.SortBy, query.Descending) switch
            {
                (RunDataSortField.Key, true) => matching.OrderByDescending(x => x.Entry.Key, StringComparer.Ordinal).ThenByDescending(x => x.Seq),
                (RunDataSortField.Key, false) => matching.OrderBy(x => x.Entry.Key, StringComparer.Ordinal).ThenBy(x => x.Seq),
                (RunDataSortField.UpdatedAt, true) => matching.OrderByDescending(x => x.Entry.UpdatedAt).ThenByDescending(x => x.Seq),
                (RunDataSortField.UpdatedAt, false) => matching.OrderBy(x => x.Entry.UpdatedAt).ThenBy(x => x.Seq),
                (_, true) => matching.OrderByDescending(x => x.Seq),
                _ => matching.OrderBy(x => x.Seq),
            };
            var page = ordered.Skip(query.Offset).Take(query.Limit).Select(x => x.Entry).ToList();
            return Task.FromResult(new Page<RunDataEntry>(page, matching.Count));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<EngineEvent>> ReadEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<EngineEvent> events = _events.Read(afterSequence, limit, orgId);
            return Task.FromResult(events);
        }
    }

    /// <inheritdoc />
    /// <remarks>Events are appended under the store's lock, so they become visible in sequence order.</remarks>
    public Task<EventBatch> ReadCommittedEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken) =>
        EventBatch.ReadInOrderAsync(this, afterSequence, limit, orgId, cancellationToken);

    /// <inheritdoc />
    public Task<bool> PingAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    private static Run Capped(Run run, int? max) => max is null ? run : run with
    {
        InputJson = StoredPayload.Cap(run.InputJson, max),
        OutputJson = StoredPayload.Cap(run.OutputJson, max),
        ErrorJson = StoredPayload.Cap(run.ErrorJson, max),
        MetadataJson = StoredPayload.Cap(run.MetadataJson, max),
    };

    private static TaskRun Capped(TaskRun task, int? max) => max is null ? task : task with
    {
        InputJson = StoredPayload.Cap(task.InputJson, max),
        OutputJson = StoredPayload.Cap(task.OutputJson, max),
        ErrorJson = StoredPayload.Cap(task.ErrorJson, max),
        MetadataJson = StoredPayload.Cap(task.MetadataJson, max),
    };
}
