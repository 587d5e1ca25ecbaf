using System.Globalization;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Claims and leases: claiming in claim order under the concurrency limits, heartbeats, releases. One transaction each on the single writer.
public sealed partial class SqliteStore
{
    private static readonly string PrefixedTaskColumns = string.Join(", ", TaskRow.Columns.Split(", ").Select(c => "t." + c));

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskRun>> ClaimTasksAsync(ClaimTasksParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.Max <= 0) return Task.FromResult<IReadOnlyList<TaskRun>>([]);
        return WriteAsync<IReadOnlyList<TaskRun>>(tx =>
        {
            var now = tx.Now;
            if (tx.RawDb.Scalar(SqliteSql.NextRetryAfter, now) is long nextRetry) tx.WakeRetryAt(SqliteValues.Time(nextRetry));
            QueueDueScheduledTasks(tx);
            var claimed = new List<TaskRun>();
            if (!ClaimFairly(tx, parameters, claimed)) StartClaimed(tx, PickAndCountStarts(tx, parameters), parameters, claimed);
            return claimed;
        }, keepTasks: true, cancellationToken);
    }

    // Picks what the claim may take under every limit and counts the starts of rate-limited keys in their windows, so a
    // later pick in the same transaction (the next org's share) sees them.
    private static List<TaskRow> PickAndCountStarts(WriteTx tx, ClaimTasksParams parameters)
    {
        var rates = new Dictionary<string, RateWindow>(StringComparer.Ordinal);
        var picked = PickClaimable(tx, parameters, rates);
        if (rates.Count > 0) CountStarts(tx, picked, rates);
        return picked;
    }

    // Makes the picked tasks running under new leases, starts their pending runs and records the events.
    private static void StartClaimed(WriteTx tx, List<TaskRow> picked, ClaimTasksParams parameters, List<TaskRun> claimed)
    {
        foreach (var t in picked)
        {
            var attempt = t.Attempt + 1;
            t.Status = TaskRunStatus.Running;
            t.Attempt = attempt;
            t.LeaseToken = GuidGenerator.NewRandom();
            t.LeaseExpiresAt = tx.Now + parameters.LeaseDuration;
            t.ExecutorId = parameters.ExecutorId;
            t.ExecutorIp = parameters.ExecutorIp;
            t.StartedAt = tx.Now;
            t.NotBefore = null;
            t.UpdatedAt = tx.Now;
            SaveTask(tx, t);
            var run = tx.Run(t.RunId)!;
            if (run.Status == RunStatus.Pending)
            {
                run.Status = RunStatus.Running;
                run.StartedAt ??= tx.Now;
                run.UpdatedAt = tx.Now;
                run.Dirty = true;
                AddEvent(tx, run, null, EventTypes.RunStarted, null);
            }

            AddEvent(tx, run, t.Id, EventTypes.TaskStarted, $$"""{"attempt":{{attempt}}}""");
            claimed.Add(t.ToTaskRun());
            tx.Cache.AddTask(t);
        }
    }

    // Statement texts of the claim by filter shape (number of types, org filter, family filter): building and hashing the
    // long column list on every claim costs more than the lookup.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int Types, bool Org, bool Family), (string Queued, string Retrying)> ClaimSql = new();

    private static (string Queued, string Retrying) ClaimStatements((int Types, bool Org, bool Family) shape)
    {
        var filter = new System.Text.StringBuilder();
        var scope = new System.Text.StringBuilder();
        if (shape.Types > 0)
        {
            filter.Append(" AND +t.type IN (");
            for (var i = 0; i < shape.Types; i++) filter.Append(i == 0 ? "" : ", ").Append("$t").Append(i.ToString(CultureInfo.InvariantCulture));
            filter.Append(')');
        }

        if (shape.Org) scope.Append(" AND +t.org_id = $org");
        var join = "";
        if (shape.Family)
        {
            join = " JOIN runs r ON r.id = t.run_id";
            scope.Append(" AND +r.family = $family");
        }

        // The unary "+" keeps org and family out of index selection. Without statistics (the store never runs ANALYZE)
        // SQLite preferred ix_tasks_org (org_id, seq) for an org filter, read every task of the org and sorted them: the
        // job queue API's claim cost grew with the backlog. Walking a partial claim index in claim order and filtering
        // rows stops at the first match.
        //
        // Separate statements, merged here: as one UNION ALL with an outer ORDER BY, SQLite sorted full rows in a temporary
        // b-tree and the claim cost about ten times as much. Each statement walks its partial index in claim order: the
        // queued rows of one type (ix_tasks_claim_type, bound once per type), the retrying rows (ix_tasks_retry, few) with
        // the type list as a filter. Tasks with a concurrency key are claimed from their own index (SqliteStore.KeyLimits.cs).
        // A claim scoped to one org (a remote executor's, or an org's share of a fair claim) seeks the org's own queue in
        // ix_tasks_claim_org (migration 0012) instead of walking other orgs' backlogs in the per-type index.
        var queued = shape.Org
            ? $"SELECT {PrefixedTaskColumns} FROM tasks t INDEXED BY ix_tasks_claim_org{join} WHERE t.status = 'queued' AND t.limit_key IS NULL AND t.type = $type AND t.org_id = $org" +
              (shape.Family ? " AND +r.family = $family" : "") + " ORDER BY t.priority DESC, t.seq LIMIT $lim"
            : $"SELECT {PrefixedTaskColumns} FROM tasks t{join} WHERE t.status = 'queued' AND t.limit_key IS NULL AND t.type = $type{scope} ORDER BY t.priority DESC, t.seq LIMIT $lim";
        return (
            queued,
            $"SELECT {PrefixedTaskColumns} FROM tasks t{join} WHERE t.status = 'retrying' AND t.limit_key IS NULL{filter}{scope} AND (t.not_before IS NULL OR t.not_before <= $now) " +
            "ORDER BY t.priority DESC, t.seq LIMIT $lim");
    }

    // Each input is in claim order; the first `limit` rows of their merge.
    private static List<TaskRow> MergeClaimOrder(List<List<TaskRow>> lists, int limit)
    {
        var merged = lists[0];
        for (var i = 1; i < lists.Count; i++) merged = MergeClaimOrder(merged, lists[i], limit);
        return merged.Count > limit ? merged.GetRange(0, limit) : merged;
    }

    private static List<TaskRow> MergeClaimOrder(List<TaskRow> a, List<TaskRow> b, int limit)
    {
        if (b.Count == 0) return a;
        var merged = new List<TaskRow>(Math.Min(limit, a.Count + b.Count));
        int i = 0, j = 0;
        while (merged.Count < limit && (i < a.Count || j < b.Count))
        {
            var takeA = j >= b.Count || (i < a.Count && (a[i].Priority > b[j].Priority || (a[i].Priority == b[j].Priority && a[i].Seq < b[j].Seq)));
            merged.Add(takeA ? a[i++] : b[j++]);
        }

        return merged;
    }

    // Claimable rows in claim order (priority, then age), filtered by the caller's scope and the concurrency limits.
    private static List<TaskRow> PickClaimable(WriteTx tx, ClaimTasksParams p, Dictionary<string, RateWindow> rates)
    {
        var scope = new List<object?>(2);
        if (p.OrgId is not null) scope.Add(p.OrgId);
        if (p.Family is not null) scope.Add(p.Family);
        var args = new List<object?>(p.Types.Count + 4);
        foreach (var type in p.Types) args.Add(type);
        args.AddRange(scope);
        // Built as a typed local, and the loop below written without a constant condition, so that every mutant of this
        // method compiles on its own and Stryker does not drop the whole method (docs/testing.md).
        (int Types, bool Org, bool Family) shape = (p.Types.Count, p.OrgId is not null, p.Family is not null);
        var (queuedSql, retryingSql) = ClaimSql.GetOrAdd(shape, ClaimStatements);
        // A claim of any type reads the queue of every type that has queued work: claims name their types (every executor
        // protocol requires them), so one index per type serves them all and none is kept for the whole queue.
        IEnumerable<string> queuedTypes = p.Types.Count == 0
            ? tx.RawDb.Query(SqliteSql.QueuedTypes, r => r.GetString(0))
            : p.Types.Distinct(StringComparer.Ordinal).ToList(); // a type named twice must not yield its rows twice
        var lists = new List<List<TaskRow>>(p.Types.Count + 1);

        var limited = p.TypeLimits is { Count: > 0 };
        var limit = p.Max;
        for (;;)
        {
            // Nothing is buffered yet during the pick, so reads may go straight to the connection.
            lists.Clear();
            foreach (var type in queuedTypes) lists.Add(tx.RawDb.Query(queuedSql, TaskRow.Read, [type, .. scope, limit]));

            args.Add(tx.Now);
            args.Add(limit);
            lists.Add(tx.RawDb.Query(retryingSql, TaskRow.Read, [.. args]));
            args.RemoveRange(args.Count - 2, 2);
            AddKeyHeads(tx, p, lists, limit, rates);
            var candidates = MergeClaimOrder(lists, limit);
            tx.PreloadRuns(candidates);
            var picked = new List<TaskRow>(Math.Min(p.Max, candidates.Count));
            Dictionary<Guid, int>? perRun = null;
            Dictionary<string, int>? perType = null;
            foreach (var t in candidates)
            {
                var run = tx.Run(t.RunId)!;
                if (run.MaxConcurrency is { } maxRun)
                {
                    perRun ??= [];
                    if (!perRun.TryGetValue(run.Id, out var running))
                    {
                        running = Convert.ToInt32(tx.RawDb.Scalar(
                            SqliteSql.RunningInRun, run.Id), CultureInfo.InvariantCulture);
                    }

                    if (running >= maxRun)
                    {
                        perRun[run.Id] = running;
                        limited = true;
                        continue;
                    }

                    perRun[run.Id] = running + 1;
                }

                if (p.TypeLimits is not null && p.TypeLimits.TryGetValue(t.Type, out var maxType))
                {
                    perType ??= new(StringComparer.Ordinal);
                    if (!perType.TryGetValue(t.Type, out var running))
                    {
                        running = Convert.ToInt32(tx.RawDb.Scalar(
                            SqliteSql.RunningOfType, t.Type), CultureInfo.InvariantCulture);
                    }

                    if (running >= maxType)
                    {
                        perType[t.Type] = running;
                        continue;
                    }

                    perType[t.Type] = running + 1;
                }

                picked.Add(t);
                if (picked.Count == p.Max) return picked;
            }

            // Rows skipped for a limit may hide claimable rows further down: look again with a longer window.
            if (!limited || candidates.Count < limit) return picked;
            limit = checked(limit * 4);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<HeartbeatResult>> HeartbeatTasksAsync(HeartbeatTasksParams parameters, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<HeartbeatResult>>(tx =>
        {
            var results = new HeartbeatResult[parameters.Leases.Count];
            var ids = System.Text.Json.JsonSerializer.Serialize(parameters.Leases.Select(l => l.TaskId.ToString("D")).Distinct());
            var rows = tx.RawDb.Query(SqliteSql.LeasesByIds,
                    r => (Id: SqliteValues.Id(r, 0), Seq: r.GetInt64(1), Status: r.GetString(2), Token: SqliteValues.IdOrNull(r, 3)), ids)
                .ToDictionary(x => x.Id);
            var expires = tx.Now + parameters.LeaseDuration;
            for (var i = 0; i < results.Length; i++)
            {
                var lease = parameters.Leases[i];
                if (!rows.TryGetValue(lease.TaskId, out var row) || row.Token != lease.LeaseToken)
                {
                    results[i] = new HeartbeatResult(lease.TaskId, HeartbeatOutcome.Lost, null);
                }
                else if (row.Status == "running")
                {
                    tx.RawDb.ExecRow(SqliteSql.ExtendLease, expires, tx.Now, row.Seq);
                    results[i] = new HeartbeatResult(lease.TaskId, HeartbeatOutcome.Extended, expires);
                }
                else
                {
                    results[i] = new HeartbeatResult(lease.TaskId, row.Status == "cancelled" ? HeartbeatOutcome.Cancelled : HeartbeatOutcome.Lost, null);
                }
            }

            return results;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> ReleaseTasksAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var released = 0;
            foreach (var lease in leases)
            {
                var t = LoadLeased(tx, lease);
                if (t is null) continue;
                EndAttempt(tx, t, AttemptOutcomes.Released, null);
                t.LeaseToken = null;
                t.LeaseExpiresAt = null;
                MakeQueued(tx, t);
                SaveTask(tx, t);
                released++;
            }

            tx.WakeWork |= released > 0;
            return released;
        }, cancellationToken);
}
