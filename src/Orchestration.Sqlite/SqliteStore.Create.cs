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
            for (var i = 0; i < runs.Count; i++)
            {
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

                var run = RunRow.Created(NewRun.Run(p, now, NewRun.DeadlineAt(p, now)), p.Tasks.Count);
                run.MayHaveDependents = NewRun.HasEdges(p.Tasks);
                (run.TraceParent, run.TraceState) = (p.TraceParent, p.TraceState);
                tx.AddRun(run);
                AddEvent(tx, run, null, EventTypes.RunCreated, null);

                var scheduledFor = NewRun.ScheduledFor(p);
                foreach (var nt in p.Tasks)
                {
                    var queued = NewRun.QueuedAtOnce(nt) && scheduledFor is null;
                    InsertTask(tx, run, nt, queued ? NewRun.ReadyStatus(nt.Type) : TaskRunStatus.Pending, nt.Dependencies.Count, queued ? now : null, null);
                    tx.WakeWork |= queued;
                }

                if (p.ScheduledAt is not null) ScheduleRun(tx, run, scheduledFor);
                if (NewRun.HasRoutes(p.Tasks) || p.Tasks.Any(t => t.AllowFailure)) WriteRouting(tx, run, p.Tasks);
                FinalizeIfDone(tx, run);
                results[i] = new CreateRunResult(run.ToRun(p.Tasks.Count, 0, 0), true);
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
