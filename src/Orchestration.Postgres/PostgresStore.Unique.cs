using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Unique work. Each create with a unique rule takes its key with one upsert on unique_keys, whose primary key makes
// concurrent creates (on any host) wait for each other; the holder is replaced only when it no longer blocks by the new
// run's rule, so there is no read-then-insert race and no release step when a run finishes.
public sealed partial class PostgresStore
{
    // Whether run r blocks by the rule in @states / @windowTicks at the transaction's clock.
    private const string UniqueBlocks =
        "(r.status = ANY(@states) OR (@windowTicks > 0 AND r.status IN ('completed', 'failed', 'cancelled') AND r.completed_at IS NOT NULL " +
        "AND {now} < r.completed_at + @windowTicks / 10 * interval '1 microsecond'))";

    // The holder must be visible to be replaced: one committed by a concurrent create after this statement's snapshot is
    // not, and counts as blocking until the second look below.
    private const string TakeUniqueKeySql =
        "INSERT INTO {s}.unique_keys AS k (org_id, scope, key, run_id) VALUES (@org, @scope, @key, @run) " +
        "ON CONFLICT (org_id, scope, key) DO UPDATE SET run_id = excluded.run_id " +
        "WHERE EXISTS (SELECT 1 FROM {s}.runs r WHERE r.id = k.run_id AND NOT " + UniqueBlocks + ") " +
        "RETURNING run_id";

    // A new statement, so a new snapshot: a holder committed while the upsert waited is visible now.
    private const string UniqueHolderSql =
        "SELECT k.run_id, r.id IS NOT NULL AND " + UniqueBlocks + " FROM {s}.unique_keys k LEFT JOIN {s}.runs r ON r.id = k.run_id " +
        "WHERE k.org_id = @org AND k.scope = @scope AND k.key = @key";

    // The holder was pruned or has stopped blocking since: give its row up and try again.
    private const string DropUniqueKeySql =
        "DELETE FROM {s}.unique_keys WHERE org_id = @org AND scope = @scope AND key = @key AND run_id = @run";

    private const string RunByIdSql = "SELECT {run}, {counters} FROM {s}.runs r WHERE r.id = @id";

    // Takes the unique keys of the runs that have a rule. Returns, for each run that must not be created, the id of the
    // run that holds its key (a run of this call when the key repeats in it); null when no run has a rule.
    private async Task<Dictionary<int, Guid>?> TakeUniqueKeysAsync(PgTx tx, IReadOnlyList<CreateRunParams> runs, CancellationToken ct)
    {
        List<int>? order = null;
        for (var i = 0; i < runs.Count; i++)
            if (runs[i].Unique is not null) (order ??= []).Add(i);
        if (order is null) return null;

        // One order for every transaction, so two batches taking the same keys cannot deadlock.
        order.Sort((a, b) => Compare(runs[a], runs[b]) is var c && c != 0 ? c : a.CompareTo(b));
        var holders = new Dictionary<int, Guid>();
        var firstInCall = new Dictionary<(string, string, string), Guid>();
        foreach (var i in order)
        {
            var p = runs[i];
            var slot = (p.OrgId, NewRun.UniqueScopeOf(p)!, p.Unique!.Key);
            if (firstInCall.TryGetValue(slot, out var first))
            {
                holders[i] = first;
                continue;
            }

            var holder = await TakeUniqueKeyAsync(tx, p, slot.Item2, ct);
            if (holder is { } h) holders[i] = h;
            firstInCall[slot] = holder ?? p.RunId;
        }

        return holders;
    }

    private static int Compare(CreateRunParams a, CreateRunParams b)
    {
        var c = string.CompareOrdinal(a.OrgId, b.OrgId);
        if (c == 0) c = string.CompareOrdinal(NewRun.UniqueScopeOf(a), NewRun.UniqueScopeOf(b));
        return c != 0 ? c : string.CompareOrdinal(a.Unique!.Key, b.Unique!.Key);
    }

    // Null when p took the key; otherwise the blocking holder.
    private async Task<Guid?> TakeUniqueKeyAsync(PgTx tx, CreateRunParams p, string scope, CancellationToken ct)
    {
        var rule = p.Unique!;
        var states = StatesOf(rule.States);
        var windowTicks = rule.Window is { } w && w > TimeSpan.Zero ? w.Ticks : 0L;
        // Each round either takes the key or finds a holder that blocks; a round is repeated only when a holder stopped
        // blocking or vanished in between, which a finite number of concurrent creates can cause only so often.
        for (var round = 0; round < 16; round++)
        {
            var took = await tx.QueryAsync<Guid>(S(TakeUniqueKeySql), new { org = p.OrgId, scope, key = rule.Key, run = p.RunId, states, windowTicks }, ct);
            if (took.Count > 0) return null;

            var seen = await tx.QueryAsync<(Guid RunId, bool Blocks)>(S(UniqueHolderSql), new { org = p.OrgId, scope, key = rule.Key, states, windowTicks }, ct);
            if (seen.Count == 0) continue;
            if (seen[0].Blocks) return seen[0].RunId;
            await tx.ExecAsync(S(DropUniqueKeySql), new { org = p.OrgId, scope, key = rule.Key, run = seen[0].RunId }, ct);
        }

        throw new InvalidOperationException($"Orchestration: unique key '{rule.Key}' changed hands too often to be taken.");
    }

    private static string[] StatesOf(UniqueStates states)
    {
        var names = new List<string>(5);
        foreach (var s in Enum.GetValues<RunStatus>())
            if ((states & UniqueRule.StateOf(s)) != 0) names.Add(s.ToWire());
        return names.ToArray();
    }

    private async Task FillUniqueDuplicatesAsync(PgTx tx, IReadOnlyList<CreateRunParams> runs, Dictionary<int, Guid> holders, CreateRunResult?[] results, CancellationToken ct)
    {
        Dictionary<Guid, Run>? made = null;
        for (var i = 0; i < runs.Count; i++)
            if (results[i] is { Created: true } r) (made ??= [])[r.Run.Id] = r.Run;
        foreach (var (i, holder) in holders)
        {
            var run = made is not null && made.TryGetValue(holder, out var m) ? m : await RunByIdAsync(tx, holder, ct);
            results[i] = new CreateRunResult(run, false);
        }
    }

    private async Task<Run> RunByIdAsync(PgTx tx, Guid id, CancellationToken ct)
    {
        var rows = await tx.ReadAsync(S(RunByIdSql.Replace("{run}", PostgresRows.RunColumns, StringComparison.Ordinal).Replace("{counters}", PostgresRows.RunCounters, StringComparison.Ordinal)),
            new { id }, PostgresRows.Run, ct);
        return rows.Count > 0 ? rows[0] : throw new InvalidOperationException($"Orchestration: run {id} holds a unique key but cannot be read.");
    }
}
