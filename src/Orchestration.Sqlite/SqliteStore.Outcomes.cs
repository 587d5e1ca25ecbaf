using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Outcomes of attempts: completions, failures, expired leases and run timeouts. One transaction each on the single writer.
public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<TaskWriteResult>> CompleteTasksAsync(IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<TaskWriteResult>>(tx =>
        {
            // The hot path: tasks, runs and dependents are read with one query each; rows are written in batches at commit.
            // Tasks this writer claimed are still in the cache as committed; only the others are read.
            var tasks = new Dictionary<Guid, TaskRow>(completions.Count);
            JsonRows? missing = null;
            HashSet<Guid>? asked = null;
            foreach (var c in completions)
            {
                var id = c.Lease.TaskId;
                if (tasks.ContainsKey(id)) continue;
                if (tx.Cache.Tasks.TryGetValue(id, out var cached)) tasks[id] = cached;
                else if ((asked ??= []).Add(id)) (missing ??= new JsonRows()).Value(id);
            }

            if (missing is not null)
            {
                foreach (var t in tx.RawDb.Query(BulkSql.TasksByIds, TaskRow.Read, missing.Build())) tasks[t.Id] = t;
            }

            tx.PreloadRuns(tasks.Values);
            var dependents = LoadDependents(tx, tasks.Values.Where(t => t.Status == TaskRunStatus.Running && tx.Run(t.RunId)!.MayHaveDependents));
            var done = new List<(RunRow Run, int EventPosition)>();
            var doneRuns = new HashSet<RunRow>();
            var results = new TaskWriteResult[completions.Count];
            for (var i = 0; i < results.Length; i++)
            {
                var c = completions[i];
                if (!tasks.TryGetValue(c.Lease.TaskId, out var t) || t.Status != TaskRunStatus.Running || t.LeaseToken != c.Lease.LeaseToken)
                {
                    results[i] = new TaskWriteResult(c.Lease.TaskId, false, null);
                    continue;
                }

                var run = tx.Run(t.RunId)!;
                EndAttempt(tx, t, AttemptOutcomes.Completed, null);
                t.Status = TaskRunStatus.Completed;
                t.OutputJson = c.OutputJson;
                t.ErrorJson = null;
                SetExitCode(tx, t, c.ExitCode);
                t.CompletedAt = tx.Now;
                t.LeaseExpiresAt = null;
                t.UpdatedAt = tx.Now;
                SaveTask(tx, t);
                ChangeUnfinished(run, -1);
                AddEvent(tx, run, t.Id, EventTypes.TaskCompleted, null);
                if (dependents.TryGetValue((t.RunId, t.Name), out var list)) tx.WakeWork |= PromoteDependents(tx, tx.RawDb, list);
                if (t.RoutesOut) Reroute(tx, run);
                WakeIfHeldBack(tx, run, t);
                if (IsDone(run) && doneRuns.Add(run)) done.Add((run, tx.EventCount));
                results[i] = new TaskWriteResult(t.Id, true, TaskRunStatus.Completed);
                tx.Cache.Tasks.Remove(t.Id);
            }

            FinalizeDeferred(tx, done);
            return results;
        }, keepTasks: true, cancellationToken);

    private static Dictionary<(Guid RunId, string Name), List<long>> LoadDependents(WriteTx tx, IEnumerable<TaskRow> tasks)
    {
        var rows = new JsonRows();
        foreach (var t in tasks) rows.Row().Add(t.RunId).Add(t.Name);
        var map = new Dictionary<(Guid, string), List<long>>();
        if (rows.Count == 0) return map;
        foreach (var (runId, name, seq) in tx.RawDb.Query(BulkSql.DependentsOf, r => (SqliteValues.Id(r, 0), r.GetString(1), r.GetInt64(2)), rows.Build()))
        {
            if (!map.TryGetValue((runId, name), out var list)) map[(runId, name)] = list = [];
            list.Add(seq);
        }

        return map;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskWriteResult>> FailTasksAsync(IReadOnlyList<TaskFailure> failures, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<TaskWriteResult>>(tx =>
        {
            var results = new TaskWriteResult[failures.Count];
            for (var i = 0; i < results.Length; i++)
            {
                var f = failures[i];
                var t = LoadLeased(tx, f.Lease);
                if (t is null)
                {
                    results[i] = new TaskWriteResult(f.Lease.TaskId, false, null);
                    continue;
                }

                EndAttempt(tx, t, AttemptOutcomes.Failed, JsonDefaults.ErrorMessage(f.ErrorJson));
                var status = FailAttempt(tx, t, f.ErrorJson, f.OutputJson, f.Retryable, f.ExitCode);
                results[i] = new TaskWriteResult(t.Id, true, status);
            }

            return results;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> ReleaseExpiredLeasesAsync(int limit, CancellationToken cancellationToken) =>
        // The type argument is explicit so that a mutated return (Stryker) still compiles and the method can be measured.
        WriteAsync<int>(tx =>
        {
            var expired = tx.Db.Query(
                SqliteSql.ExpiredLeases,
                TaskRow.Read, tx.Now, limit);
            foreach (var t in expired)
            {
                EndAttempt(tx, t, AttemptOutcomes.LeaseExpired, "lease expired");
                FailAttempt(tx, t, JsonDefaults.ErrorJson("lease expired: the executor stopped heartbeating"), null, retryable: true);
            }

            return expired.Count;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> FailTimedOutRunsAsync(int limit, CancellationToken cancellationToken) =>
        WriteAsync<int>(tx =>
        {
            var due = tx.Db.Query(
                SqliteSql.DueRuns,
                r => SqliteValues.Id(r, 0), tx.Now, limit);
            foreach (var runId in due)
            {
                var run = tx.Run(runId)!;
                tx.WakeCancelled |= CancelUnfinishedTasks(tx, run);
                run.Status = RunStatus.Failed;
                run.ErrorJson = JsonDefaults.ErrorJson("run timed out");
                run.CompletedAt = tx.Now;
                run.UpdatedAt = tx.Now;
                run.DeadlineArmed = false;
                run.Dirty = true;
                AddEvent(tx, run, null, EventTypes.RunFailed, """{"reason":"timeout"}""");
            }

            return due.Count;
        }, cancellationToken);
}
