using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Sqlite;

// State transitions shared by the write operations; each runs inside the caller's write transaction and mirrors the
// reference store's method of the same name, including the order in which events are written.
public sealed partial class SqliteStore
{
    private static TaskRow? LoadTask(WriteTx tx, Guid taskId) => tx.Db.QuerySingle(SqliteSql.TaskById, TaskRow.Read, taskId);

    private static void SaveTask(WriteTx tx, TaskRow t) => tx.SaveTask(t);

    // The fence of every executor write: the task is running under exactly this lease token.
    private static TaskRow? LoadLeased(WriteTx tx, Storage.TaskLease lease)
    {
        var t = LoadTask(tx, lease.TaskId);
        return t is not null && t.Status == TaskRunStatus.Running && t.LeaseToken == lease.LeaseToken ? t : null;
    }

    private static void AddEvent(WriteTx tx, RunRow run, Guid? taskId, string type, string? dataJson) => tx.AddEvent(run, taskId, type, dataJson);

    private static void EndAttempt(WriteTx tx, TaskRow t, string outcome, string? error) => tx.EndAttempt(t, outcome, error);

    private static void MakeQueued(WriteTx tx, TaskRow t)
    {
        t.Status = Storage.NewRun.ReadyStatus(t.Type);
        t.QueuedAt = tx.Now;
        t.NotBefore = null;
        t.UpdatedAt = tx.Now;
    }

    // A failed attempt of a running task: retry when allowed, else fail for good. Saves the task; returns its new status.
    private static TaskRunStatus FailAttempt(WriteTx tx, TaskRow t, string? errorJson, string? outputJson, bool retryable, int? exitCode = null)
    {
        var run = tx.Run(t.RunId)!;
        var now = tx.Now;
        SetExitCode(tx, t, exitCode);
        if (retryable && t.Attempt < t.RetryPolicy.MaxAttempts)
        {
            var retryAt = now + t.RetryPolicy.DelayBefore(t.Attempt + 1, Random.Shared.NextDouble());
            t.Status = TaskRunStatus.Retrying;
            t.ErrorJson = errorJson;
            t.OutputJson = outputJson ?? t.OutputJson;
            t.NotBefore = retryAt;
            t.LeaseExpiresAt = null;
            t.UpdatedAt = now;
            SaveTask(tx, t);
            tx.WakeRetryAt(retryAt);
            AddEvent(tx, run, t.Id, EventTypes.TaskRetrying, $$"""{"attempt":{{t.Attempt}},"retry_at":"{{retryAt:O}}"}""");
            WakeIfHeldBack(tx, run, t);
            return TaskRunStatus.Retrying;
        }

        t.Status = TaskRunStatus.Failed;
        t.ErrorJson = errorJson;
        t.OutputJson = outputJson ?? t.OutputJson;
        t.LeaseExpiresAt = null;
        t.CompletedAt = now;
        t.UpdatedAt = now;
        SaveTask(tx, t);
        ChangeUnfinished(run, -1);
        AddEvent(tx, run, t.Id, EventTypes.TaskFailed, null);
        // A failure the task allows counts as a completion for its dependents.
        if (t.AllowFailure) tx.WakeWork |= PromoteDependents(tx, run, t);
        else SkipDependents(tx, run, t);
        RerouteIfWaiting(tx, run);
        WakeIfHeldBack(tx, run, t);
        FinalizeIfDone(tx, run);
        return TaskRunStatus.Failed;
    }

    // A task left running: if its run is held back by its concurrency limit, a queued task that no claim took while
    // the slot was busy is claimable now, and without a signal it would wait for the next safety poll.
    private static void WakeIfHeldBack(WriteTx tx, RunRow run, TaskRow t)
    {
        if (!tx.WakeWork && run.MaxConcurrency is not null) tx.WakeWork = tx.RawDb.Scalar(SqliteSql.QueuedInRun, run.Id) is not null;
        WakeIfKeyHeldBack(tx, t);
    }

    private static void ChangeUnfinished(RunRow run, int delta)
    {
        run.Unfinished += delta;
        run.Dirty = true;
    }

    // Pending dependents whose last unfinished dependency this was become queued; true when any did.
    private static bool PromoteDependents(WriteTx tx, RunRow run, TaskRow completed) =>
        PromoteDependents(tx, tx.Db, tx.Db.Query(SqliteSql.DependentSeqs, r => r.GetInt64(0), run.Id, completed.Name));

    // Dependent rows are pending, so no buffered task write can touch them: the point updates may bypass the flush.
    private static bool PromoteDependents(WriteTx tx, SqliteCommands db, IReadOnlyList<long> dependents)
    {
        var promoted = false;
        // One decrement per listing, then the check, as the reference store does: a name listed twice counts twice.
        foreach (var seq in dependents)
        {
            if (db.Exec(SqliteSql.DecrementDependent, seq) == 0) continue;
            promoted |= db.Exec(SqliteSql.QueueIfReady, tx.Now, seq) > 0;
        }

        return promoted;
    }

    private static void SkipDependents(WriteTx tx, RunRow run, TaskRow failed)
    {
        var queue = new Queue<string>();
        queue.Enqueue(failed.Name);
        HashSet<long>? skipped = null;
        while (queue.Count > 0)
        {
            var name = queue.Dequeue();
            var dependents = tx.Db.Query(SqliteSql.DependentsOf, r => (Seq: r.GetInt64(0), Id: SqliteValues.Id(r, 1), Status: r.GetString(2), Name: r.GetString(3)), run.Id, name);
            foreach (var d in dependents)
            {
                // A task listed twice must be skipped once: the reference store re-reads the status it just changed.
                if (d.Status is not ("pending" or "queued") || (skipped?.Contains(d.Seq) ?? false)) continue;
                (skipped ??= []).Add(d.Seq);
                tx.Db.Exec(SqliteSql.SkipTask, tx.Now, d.Seq);
                tx.TaskFailedIn(run.Id);
                ChangeUnfinished(run, -1);
                AddEvent(tx, run, d.Id, EventTypes.TaskSkipped, null);
                queue.Enqueue(d.Name);
            }
        }
    }

    // Cancels every unfinished task of a run; true when one of them was running (executors must be told).
    private static bool CancelUnfinishedTasks(WriteTx tx, RunRow run)
    {
        var anyRunning = false;
        var tasks = tx.Db.Query($"SELECT {TaskRow.Columns} FROM tasks WHERE run_id = $run AND status NOT IN {SqliteSql.Terminal} ORDER BY seq", TaskRow.Read, run.Id);
        foreach (var t in tasks)
        {
            if (t.Status == TaskRunStatus.Running)
            {
                anyRunning = true;
                EndAttempt(tx, t, AttemptOutcomes.Cancelled, null);
            }

            // The lease token stays so the holder's next heartbeat reports Cancelled rather than Lost.
            t.Status = TaskRunStatus.Cancelled;
            t.LeaseExpiresAt = null;
            t.CompletedAt = tx.Now;
            t.UpdatedAt = tx.Now;
            SaveTask(tx, t);
            ChangeUnfinished(run, -1);
            AddEvent(tx, run, t.Id, EventTypes.TaskCancelled, null);
        }

        return anyRunning;
    }

    private static bool IsDone(RunRow run) => run.Kind == RunKind.Managed && run.Unfinished <= 0 && !run.Status.IsTerminal();

    private static void FinalizeIfDone(WriteTx tx, RunRow run)
    {
        if (!IsDone(run)) return;
        var firstFailed = tx.Db.QuerySingle(SqliteSql.FirstFailedTask, r => new[] { r.GetString(0), r.GetString(1) }, run.Id);
        Finalize(tx, run, firstFailed?[0], firstFailed?[1], anySkipped: false, tx.EventCount);
    }

    // Completed when nothing failed, was cancelled or skipped; failed otherwise, naming the first failed or cancelled task.
    private static void Finalize(WriteTx tx, RunRow run, string? firstFailedName, string? firstFailedStatus, bool anySkipped, int eventPosition)
    {
        var now = tx.Now;
        run.DeadlineArmed = false;
        run.Dirty = true;
        if (firstFailedName is null && !anySkipped)
        {
            run.Status = RunStatus.Completed;
            run.CompletedAt = now;
            run.UpdatedAt = now;
            run.StartedAt ??= now;
            tx.InsertEvent(eventPosition, run, null, EventTypes.RunCompleted, null);
            return;
        }

        var message = firstFailedName is not null ? $"task '{firstFailedName}' {firstFailedStatus}" : "tasks were skipped";
        run.Status = RunStatus.Failed;
        run.ErrorJson = JsonDefaults.ErrorJson(message);
        run.CompletedAt = now;
        run.UpdatedAt = now;
        tx.InsertEvent(eventPosition, run, null, EventTypes.RunFailed, null);
    }

    /// <summary>
    /// Finalises runs whose last task finished during a batch, with one query for all of them. Each run's event goes to the
    /// position it would have had if finalised at once, so the event order matches the reference store. Only valid when
    /// the batch's buffered task writes cannot change which tasks are failed, cancelled or skipped (completions).
    /// </summary>
    private static void FinalizeDeferred(WriteTx tx, List<(RunRow Run, int EventPosition)> done)
    {
        if (done.Count == 0) return;
        // Runs this process knows to have no failed, cancelled or skipped task need no query.
        JsonRows? idList = null;
        foreach (var d in done)
        {
            if (!d.Run.NoFailedTasks) (idList ??= new JsonRows()).Value(d.Run.Id);
        }

        var failures = new Dictionary<Guid, (string Name, string Status)>();
        if (idList is not null)
        {
            foreach (var (runId, name, status) in tx.RawDb.Query(BulkSql.FailureOfRuns, r => (SqliteValues.Id(r, 0), r.GetString(1), r.GetString(2)), idList.Build()))
                failures.TryAdd(runId, (name, status));
        }

        for (var i = done.Count - 1; i >= 0; i--)
        {
            var (run, position) = done[i];
            if (!IsDone(run)) continue;
            if (failures.TryGetValue(run.Id, out var f))
            {
                Finalize(tx, run, f.Name, f.Status, anySkipped: false, position);
            }
            else
            {
                Finalize(tx, run, null, null, anySkipped: false, position);
            }
        }
    }


}
