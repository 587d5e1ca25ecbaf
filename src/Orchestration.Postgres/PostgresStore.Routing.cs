using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Routing by outcome (RouteRules): what a create writes for routed runs, the completions the one-statement batch leaves
// alone (sources of routes, completions that report an exit code), and the re-decision of a run's routed tasks.
public sealed partial class PostgresStore
{
    // The task insert stays as it is for the bulk of tasks; the few with routes or allowed failures get their columns
    // here, and the sources of routes are marked so that their completions take the routed path.
    private async Task WriteRoutingAsync(PgTx tx, IEnumerable<CreateRunParams> runs, CancellationToken ct)
    {
        var ids = new List<Guid>();
        var routes = new List<string?>();
        var allow = new List<bool>();
        var sourceRuns = new List<Guid>();
        var sourceNames = new List<string>();
        foreach (var p in runs)
        {
            HashSet<string>? sources = null;
            foreach (var t in p.Tasks)
            {
                if (t.Routes.Count == 0 && !t.AllowFailure) continue;
                ids.Add(t.Id);
                routes.Add(RouteRules.ToJson(t.Routes));
                allow.Add(t.AllowFailure);
                foreach (var r in t.Routes)
                {
                    if ((sources ??= new(StringComparer.Ordinal)).Add(r.From))
                    {
                        sourceRuns.Add(p.RunId);
                        sourceNames.Add(r.From);
                    }
                }
            }
        }

        if (ids.Count == 0) return;
        await tx.ExecAsync(S(PostgresSql.SetTaskRoutingSql), new { ids = ids.ToArray(), routes = routes.ToArray(), allow = allow.ToArray() }, ct);
        if (sourceRuns.Count > 0)
            await tx.ExecAsync(S(PostgresSql.MarkRouteSourcesSql), new { runs = sourceRuns.ToArray(), names = sourceNames.ToArray() }, ct);
    }

    private static bool HasRouting(CreateRunParams p)
    {
        foreach (var t in p.Tasks)
        {
            // Approval tasks too: the COPY path writes queued rows without asking which type awaits a review.
            if (t.Routes.Count > 0 || t.AllowFailure || NewRun.ReadyStatus(t.Type) != TaskRunStatus.Queued) return true;
        }

        return false;
    }

    // Completes in one transaction, fenced like the batch, then promotes dependents, re-decides the runs' routed tasks
    // and finishes the runs. Returns the ids that applied.
    private Task<HashSet<Guid>> CompleteRoutedAsync(IReadOnlyList<TaskCompletion> items, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
        {
            var done = await tx.ReadAsync(S(PostgresSql.LockRunsOfTasksSql + ";\n" + PostgresSql.CompleteRoutedSql), new
            {
                ids = items.Select(c => c.Lease.TaskId).ToArray(),
                tokens = items.Select(c => c.Lease.LeaseToken).ToArray(),
                outputs = items.Select(c => c.OutputJson).ToArray(),
                codes = items.Select(c => c.ExitCode).ToArray(),
            }, r => (Id: r.GetGuid(0), Run: r.GetGuid(1), Name: r.GetString(2)), ct, skipResults: 1);
            if (done.Count == 0) return new HashSet<Guid>();
            if (await tx.ScalarAsync<int>(S(PostgresSql.PromoteSql), new { runs = done.Select(d => d.Run).ToArray(), names = done.Select(d => d.Name).ToArray() }, ct) > 0)
                tx.WorkAvailable = true;
            var runs = done.Select(d => d.Run).Distinct().ToArray();
            await RerouteRunsAsync(tx, runs, ct);
            // The completed tasks freed their run's and their key's slots: a task one of them held back must not wait for the poll.
            if (!tx.WorkAvailable && await tx.ScalarAsync<bool>(S(PostgresKeySql.QueuedInLimitedRunsOrKeysSql), new { runs, ids = done.Select(d => d.Id).ToArray() }, ct))
                tx.WorkAvailable = true;
            await FinalizeRunsAsync(tx, runs, ct);
            return done.Select(d => d.Id).ToHashSet();
        }, cancellationToken);

    // Mirrors the reference store's Reroute for each run (the caller holds the run locks): each pending routed task whose
    // sources have all ended is queued when a route matched and skipped (with its dependents) otherwise, until nothing
    // changes.
    private async Task RerouteRunsAsync(PgTx tx, Guid[] runs, CancellationToken ct)
    {
        if (runs.Length == 0) return;
        for (;;)
        {
            var rows = await tx.ReadAsync(S(PostgresSql.RouteStatesSql), new { runs }, r => (
                Id: r.GetGuid(0), Run: r.GetGuid(1), Name: r.GetString(2), Status: StatusNames.ParseTaskStatus(r.GetString(3)),
                Routes: PostgresRows.Str(r, 4), ExitCode: r.IsDBNull(5) ? (int?)null : r.GetInt32(5), AllowFailure: r.GetBoolean(6)), ct);
            if (!rows.Any(x => x.Routes is not null && x.Status == TaskRunStatus.Pending)) return;
            var byName = rows.ToDictionary(x => (x.Run, x.Name));
            var queue = new List<Guid>();
            var skipIds = new List<Guid>();
            var skipRuns = new List<Guid>();
            var skipNames = new List<string>();
            foreach (var t in rows)
            {
                if (t.Status != TaskRunStatus.Pending || t.Routes is null) continue;
                var decision = RouteRules.Decide(RouteRules.FromJson(t.Routes), name => byName.TryGetValue((t.Run, name), out var from)
                    ? new RouteSource(from.Status, from.ExitCode, from.AllowFailure)
                    : null);
                if (decision is null) continue;
                if (decision.Value) queue.Add(t.Id);
                else
                {
                    skipIds.Add(t.Id);
                    skipRuns.Add(t.Run);
                    skipNames.Add(t.Name);
                }
            }

            // Decisions read one snapshot: tasks decided together never depend on each other's new status, because a
            // task is decided only once all its sources ended, and a pending routed task has not.
            if (queue.Count == 0 && skipIds.Count == 0) return;
            if (queue.Count > 0)
            {
                await tx.ExecAsync(S(PostgresSql.QueueRoutedSql), new { ids = queue.ToArray() }, ct);
                tx.WorkAvailable = true;
            }

            if (skipIds.Count > 0)
            {
                await tx.ExecAsync(S(PostgresSql.SkipRoutedSql), new { ids = skipIds.ToArray(), data = RouteRules.NoRouteMatchedJson }, ct);
                await SkipDependentsAsync(tx, skipRuns.ToArray(), skipNames.ToArray(), ct);
            }
        }
    }
}
