using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Routing by outcome (RouteRules): what a create writes for routed runs, and the re-decision of a run's routed tasks
// when one of their sources ends. Kept apart from the hot paths, which only call in when a run has routes.
public sealed partial class SqliteStore
{
    // The task insert stays as it is for the bulk of tasks; the few with routes or allowed failures get their columns
    // here, and the sources of routes are marked so that their completions know to re-decide.
    private static void WriteRouting(WriteTx tx, RunRow run, IReadOnlyList<NewTask> tasks)
    {
        HashSet<string>? sources = null;
        foreach (var nt in tasks)
        {
            if (nt.Routes.Count == 0 && !nt.AllowFailure) continue;
            tx.Db.Exec(SqliteSql.SetTaskRouting, RouteRules.ToJson(nt.Routes), nt.AllowFailure, run.Id, nt.Name);
            foreach (var r in nt.Routes) (sources ??= new(StringComparer.Ordinal)).Add(r.From);
        }

        if (sources is null) return;
        foreach (var name in sources) tx.RawDb.Exec(SqliteSql.MarkRouteSource, run.Id, name);
    }

    private static void SetExitCode(WriteTx tx, TaskRow t, int? exitCode)
    {
        if (t.ExitCode == exitCode) return;
        t.ExitCode = exitCode;
        tx.RawDb.Exec(SqliteSql.SetExitCode, exitCode, t.Seq);
    }

    // Called after a task of the run ended on a path that is not hot (failures, restarts): re-decides only when the run
    // has a routed task still waiting.
    private static bool RerouteIfWaiting(WriteTx tx, RunRow run) =>
        tx.Db.Scalar(SqliteSql.PendingRoutedInRun, run.Id) is not null && Reroute(tx, run);

    // Mirrors the reference store's Reroute: each pending routed task whose sources have all ended is queued when a
    // route matched and skipped (with its dependents) otherwise, until nothing changes. True when a task was queued.
    private static bool Reroute(WriteTx tx, RunRow run)
    {
        var queued = false;
        for (;;)
        {
            var rows = tx.Db.Query(SqliteSql.RouteStates, r => (
                Seq: r.GetInt64(0), Id: SqliteValues.Id(r, 1), Name: r.GetString(2), Status: StatusNames.ParseTaskStatus(r.GetString(3)),
                Routes: SqliteValues.StringOrNull(r, 4), ExitCode: SqliteValues.IntOrNull(r, 5), AllowFailure: r.GetInt64(6) != 0), run.Id);
            var byName = rows.ToDictionary(x => x.Name, StringComparer.Ordinal);
            var changed = false;
            foreach (var t in rows)
            {
                if (t.Status != TaskRunStatus.Pending || t.Routes is null) continue;
                var decision = RouteRules.Decide(RouteRules.FromJson(t.Routes), name => byName.TryGetValue(name, out var from)
                    ? new RouteSource(from.Status, from.ExitCode, from.AllowFailure)
                    : null);
                if (decision is null) continue;
                if (decision.Value)
                {
                    tx.RawDb.Exec(SqliteSql.QueueRouted, tx.Now, t.Seq);
                    queued = true;
                }
                else
                {
                    tx.RawDb.Exec(SqliteSql.SkipTask, tx.Now, t.Seq);
                    tx.TaskFailedIn(run.Id);
                    ChangeUnfinished(run, -1);
                    AddEvent(tx, run, t.Id, EventTypes.TaskSkipped, RouteRules.NoRouteMatchedJson);
                    SkipDependents(tx, run, new TaskRow { Name = t.Name });
                }

                // Statuses read above are stale now: decide again from the table.
                changed = true;
                break;
            }

            if (!changed) break;
        }

        if (queued) tx.WakeWork = true;
        return queued;
    }
}
