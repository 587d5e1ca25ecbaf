using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Enqueue: runs with their graphs, one transaction on the single writer (see WriteAsync).
public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<CreateRunParams> runs, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<CreateRunResult>>(tx => CreateRunsIn(tx, runs), keepTasks: true, cancellationToken);

    // Also called by other operations that create runs in their own transaction (a schedule's fire).
    private CreateRunResult[] CreateRunsIn(WriteTx tx, IReadOnlyList<CreateRunParams> runs)
        {
            var results = new CreateRunResult[runs.Count];
            var now = tx.Now;
            tx.ExpectNewRuns(runs.Count);
            for (var i = 0; i < runs.Count; i++)
            {
                // Written in stretches so the buffers stay small and are reused, instead of growing to a large-object
                // array per call (each of which counts towards a full collection).
                tx.FlushNewRowsIfMany();
                var p = runs[i];
                if (p.IdempotencyKey is not null && tx.Db.Scalar(SqliteSql.RunIdByKey, p.OrgId, p.IdempotencyKey) is string existing)
                {
                    results[i] = new CreateRunResult(SnapshotRun(tx, Guid.ParseExact(existing, "D")), false);
                    continue;
                }

                if (UniqueHolder(tx, p) is { } holder)
                {
                    results[i] = new CreateRunResult(SnapshotRun(tx, holder), false);
                    continue;
                }

                var created = NewRun.Run(p, now, NewRun.DeadlineAt(p, now), totalTasks: p.Tasks.Count);
                var run = RunRow.Created(created, p.Tasks.Count);
                run.MayHaveDependents = NewRun.HasEdges(p.Tasks);
                (run.TraceParent, run.TraceState) = (p.TraceParent, p.TraceState);
                tx.AddRun(run);
                AddEvent(tx, run, null, EventTypes.RunCreated, null);

                var scheduledFor = NewRun.ScheduledFor(p);
                var anyAllowsFailure = false;
                for (var t = 0; t < p.Tasks.Count; t++)
                {
                    var nt = p.Tasks[t];
                    anyAllowsFailure |= nt.AllowFailure;
                    var queued = NewRun.QueuedAtOnce(nt) && scheduledFor is null;
                    InsertTask(tx, run, nt, queued ? NewRun.ReadyStatus(nt.Type) : TaskRunStatus.Pending, nt.Dependencies.Count, queued ? now : null, null);
                    tx.WakeWork |= queued;
                }

                if (p.ScheduledAt is not null) ScheduleRun(tx, run, scheduledFor);
                if (anyAllowsFailure || NewRun.HasRoutes(p.Tasks)) WriteRouting(tx, run, p.Tasks);
                FinalizeIfDone(tx, run);
                results[i] = new CreateRunResult(run.ToRun(created), true);
            }

            return results;
        }

    private static void InsertTask(WriteTx tx, RunRow run, NewTask nt, TaskRunStatus status, int remaining, DateTimeOffset? queuedAt, DateTimeOffset? completedAt) =>
        tx.AddTask(run, nt, status, remaining, queuedAt, completedAt);

    private static Run SnapshotRun(WriteTx tx, Guid runId)
    {
        var run = tx.Run(runId)!;
        var (total, completed, failed) = CountTasks(tx.Db, runId);
        return run.ToRun(total, completed, failed);
    }
}
