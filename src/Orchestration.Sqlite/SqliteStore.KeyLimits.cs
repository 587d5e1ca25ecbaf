using System.Globalization;
using System.Text;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Per-key concurrency limits (NewTask.LimitKey). Waiting tasks with a key sit in ix_tasks_claim_key, out of the per-type
// claim index: the claim lists the keys with waiting work (one seek each), counts each key's running tasks (one seek
// into ix_tasks_running_key) and reads only as many of its first tasks as it has free slots. A key at its limit costs
// the claim two seeks whatever its backlog (a key held back by its rate: one more, into key_rates, see
// SqliteStore.RateLimits.cs); tasks without a key never meet this code. The single writer makes the count and the
// claim one step, so no other claim can take the slot in between.
public sealed partial class SqliteStore
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int Types, bool Org, bool Family), string> KeyHeadSql = new();

    private static string KeyHeadStatement((int Types, bool Org, bool Family) shape)
    {
        var sql = new StringBuilder("SELECT ").Append(PrefixedTaskColumns).Append(" FROM tasks t");
        if (shape.Family) sql.Append(" JOIN runs r ON r.id = t.run_id");
        sql.Append(" WHERE t.status IN ('queued', 'retrying') AND t.limit_key IS NOT NULL AND t.limit_key = $key")
            .Append(" AND (t.status = 'queued' OR t.not_before IS NULL OR t.not_before <= $now)");
        if (shape.Types > 0)
        {
            sql.Append(" AND +t.type IN (");
            for (var i = 0; i < shape.Types; i++) sql.Append(i == 0 ? "" : ", ").Append("$t").Append(i.ToString(CultureInfo.InvariantCulture));
            sql.Append(')');
        }

        if (shape.Org) sql.Append(" AND +t.org_id = $org");
        if (shape.Family) sql.Append(" AND +r.family = $family");
        return sql.Append(" ORDER BY t.priority DESC, t.seq LIMIT $lim").ToString();
    }

    // Adds, per key with waiting work and free slots, its first claimable tasks in claim order (at most the free slots,
    // at most limit): the claim may take all of them without passing the key's limit.
    private static void AddKeyHeads(WriteTx tx, ClaimTasksParams p, List<List<TaskRow>> lists, int limit, Dictionary<string, RateWindow> rates)
    {
        List<string>? keys = null;
        foreach (var key in tx.RawDb.Query(SqliteSql.WaitingKeys, r => r.GetString(0))) (keys ??= []).Add(key);
        if (keys is null) return;
        (int Types, bool Org, bool Family) shape = (p.Types.Count, p.OrgId is not null, p.Family is not null);
        var sql = KeyHeadSql.GetOrAdd(shape, KeyHeadStatement);
        var args = new List<object?>(p.Types.Count + 5);
        foreach (var key in keys)
        {
            var head = tx.RawDb.Query(SqliteSql.KeyLimitsOfHead, r => (Max: r.IsDBNull(0) ? (int?)null : (int)r.GetInt64(0),
                RateMax: r.IsDBNull(1) ? (int?)null : (int)r.GetInt64(1), RateWindowMs: r.IsDBNull(2) ? 0L : r.GetInt64(2)), key)[0];
            var free = limit;
            if (head.Max is { } max) free = Math.Min(free, max - Convert.ToInt32(tx.RawDb.Scalar(SqliteSql.RunningOfKey, key), CultureInfo.InvariantCulture));
            if (free <= 0) continue;
            if (head.RateMax is { } rateMax) free = Math.Min(free, RateRoom(tx, key, rateMax, head.RateWindowMs, rates));
            if (free <= 0) continue;
            args.Clear();
            args.Add(key);
            args.Add(tx.Now);
            foreach (var type in p.Types) args.Add(type);
            if (p.OrgId is not null) args.Add(p.OrgId);
            if (p.Family is not null) args.Add(p.Family);
            args.Add(free);
            var rows = tx.RawDb.Query(sql, TaskRow.Read, [.. args]);
            if (rows.Count > 0) lists.Add(rows);
        }
    }

    // A task left running: if a task of its key waits, that key may have been at its limit, and the freed slot should
    // be used at once rather than at the next safety poll.
    private static void WakeIfKeyHeldBack(WriteTx tx, TaskRow t)
    {
        if (!tx.WakeWork && t.LimitKey is not null) tx.WakeWork = tx.RawDb.Scalar(SqliteSql.QueuedOfKey, t.LimitKey) is not null;
    }
}
