using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Enqueue: runs with their graphs, under the one lock.
public sealed partial class InMemoryStore : IOrchestrationStore, IOrchestrationQueries, IIdentityStore, IDisposable
{
    /// <inheritdoc />
    public Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<CreateRunParams> runs, CancellationToken cancellationToken)
    {
        var results = new CreateRunResult[runs.Count];
        var anyQueued = false;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            for (var i = 0; i < runs.Count; i++)
            {
                var p = runs[i];
                if (p.IdempotencyKey is not null && _idempotency.TryGetValue((p.OrgId, p.IdempotencyKey), out var existing))
                {
                    results[i] = new CreateRunResult(Snapshot(_runs[existing]), false);
                    continue;
                }

                if (UniqueHolder(p, now) is { } holder)
                {
                    results[i] = new CreateRunResult(Snapshot(holder), false);
                    continue;
                }

                var run = new RunState(NewRun.Run(p, now, NewRun.DeadlineAt(p, now), totalTasks: p.Tasks.Count), p.Tasks.Count)
                {
                    Trace = p.TraceParent is null ? null : new RunTraceContext(p.TraceParent, p.TraceState),
                };
                _runs.Add(run.Id, run);
                if (p.IdempotencyKey is not null) _idempotency[(p.OrgId, p.IdempotencyKey)] = run.Id;
                if (run.DeadlineAt is not null) _withDeadline.Add(run);
                AddEvent(run, null, EventTypes.RunCreated, null, now);

                var scheduledFor = NewRun.ScheduledFor(p);
                for (var t = 0; t < p.Tasks.Count; t++)
                {
                    var nt = p.Tasks[t];
                    var ts = InsertTask(run, nt, now, resolveAgainstExisting: false, scheduledFor);
                    ts.RemainingDependencies = nt.Dependencies.Count;
                    anyQueued |= ts.Status == TaskRunStatus.Queued;
                }

                FinalizeIfDone(run, now);
                results[i] = new CreateRunResult(Snapshot(run), true);
            }
        }

        if (anyQueued) WorkAvailable.Notify();
        return Task.FromResult<IReadOnlyList<CreateRunResult>>(results);
    }
}
