using Npgsql;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Enqueue: runs with their graphs, in one statement per call (unnest), optionally inside the caller's transaction.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<CreateRunParams> runs, CancellationToken cancellationToken) =>
        CanCopy(runs)
            ? CopyAndAnalyzeAsync(runs, cancellationToken)
            : InTransactionAsync((tx, ct) => CreateRunsCoreAsync(tx, runs, ct), cancellationToken);

    /// <summary>
    /// Creates the runs inside the caller's <paramref name="transaction"/> (transactional enqueue, see
    /// <see cref="PostgresEnqueue"/>): nothing is visible until the caller commits, and a rollback leaves no trace.
    /// </summary>
    public Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(IReadOnlyList<CreateRunParams> runs, NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        // Inside the caller's transaction: no retry and no commit here; NOTIFY goes out when the caller commits.
        return CreateInCallerTransactionAsync(transaction, runs, cancellationToken);
    }

    private async Task<IReadOnlyList<CreateRunResult>> CopyAndAnalyzeAsync(IReadOnlyList<CreateRunParams> runs, CancellationToken cancellationToken)
    {
        var results = await InTransactionAsync(async (tx, ct) =>
        {
            // CopyRunsAsync sets the tasks' limit keys itself, before the events: a second update would rewrite every
            // keyed task row again.
            var copied = await CopyRunsAsync(tx, runs, ct);
            await SetTraceContextsAsync(tx, runs, ct);
            return copied;
        }, cancellationToken);
        var tasks = 0;
        foreach (var r in runs) tasks += r.Tasks.Count;
        if (tasks >= AnalyzeAfterCopiedTasks) RequestAnalyze();
        return results;
    }

    private async Task<IReadOnlyList<CreateRunResult>> CreateInCallerTransactionAsync(NpgsqlTransaction transaction, IReadOnlyList<CreateRunParams> runs, CancellationToken cancellationToken)
    {
        await MigrateAsync(cancellationToken);
        var conn = transaction.Connection ?? throw new InvalidOperationException("Orchestration: the transaction passed for enqueue is already completed.");
        var tx = new PgTx(conn, transaction, HostNow());
        var result = await CreateRunsCoreAsync(tx, runs, cancellationToken);
        await NotifyInTransactionAsync(tx, cancellationToken);
        return result;
    }

    private async Task<IReadOnlyList<CreateRunResult>> CreateRunsCoreAsync(PgTx tx, IReadOnlyList<CreateRunParams> runs, CancellationToken ct)
    {
        var results = new CreateRunResult?[runs.Count];
        var uniqueHolders = await TakeUniqueKeysAsync(tx, runs, ct);
        // A key repeated within one call resolves to the first occurrence, as if the calls were made one after another.
        var firstByKey = new Dictionary<(string, string), int>();
        var toInsert = new List<int>(runs.Count);
        var duplicates = new List<int>();
        for (var i = 0; i < runs.Count; i++)
        {
            var p = runs[i];
            if (uniqueHolders?.ContainsKey(i) == true) continue;
            if (p.IdempotencyKey is not null && !firstByKey.TryAdd((p.OrgId, p.IdempotencyKey), i)) duplicates.Add(i);
            else toInsert.Add(i);
        }

        var rId = new Guid[toInsert.Count];
        var rOrg = new string[toInsert.Count];
        var rKind = new string[toInsert.Count];
        var rStatus = new string[toInsert.Count];
        var rFamily = new string[toInsert.Count];
        var rName = new string?[toInsert.Count];
        var rInput = new string?[toInsert.Count];
        var rMeta = new string?[toInsert.Count];
        var rKey = new string?[toInsert.Count];
        var rMax = new int?[toInsert.Count];
        var rTimeout = new long?[toInsert.Count];
        var rDone = new bool[toInsert.Count];
        var tasks = new List<(Guid Run, NewTask Task)>();
        var scheduled = new HashSet<Guid>();
        var anyQueued = false;
        for (var j = 0; j < toInsert.Count; j++)
        {
            var p = runs[toInsert[j]];
            rId[j] = p.RunId;
            rOrg[j] = p.OrgId;
            rKind[j] = PostgresRows.Kind(p.Kind);
            rDone[j] = NewRun.CompletesAtOnce(p);
            rStatus[j] = rDone[j] ? "completed" : "pending";
            rFamily[j] = p.Family;
            rName[j] = p.Name;
            rInput[j] = p.InputJson;
            rMeta[j] = p.MetadataJson;
            rKey[j] = p.IdempotencyKey;
            rMax[j] = p.MaxConcurrency;
            rTimeout[j] = p.Timeout?.Ticks;
            // A deadline is news to an idle leader's maintenance loop, which sleeps until the ones it knew of.
            anyQueued |= p.Timeout is not null && !rDone[j];
            foreach (var t in p.Tasks) tasks.Add((p.RunId, t));
            if (NewRun.ScheduledFor(p) is not null) scheduled.Add(p.RunId);
        }

        var n = tasks.Count;
        var tId = new Guid[n];
        var tRun = new Guid[n];
        var tName = new string[n];
        var tType = new string[n];
        var tStatus = new string[n];
        var tPriority = new int[n];
        var tInput = new string?[n];
        var tMeta = new string?[n];
        var tDeps = new string?[n];
        var tParent = new Guid?[n];
        var tMaxAttempts = new int[n];
        var tInitial = new long[n];
        var tMaxDelay = new long[n];
        var tFactor = new double[n];
        var tJitter = new double[n];
        var tTimeout = new long?[n];
        var tEnqueue = new bool[n];
        var tRemaining = new int[n];
        var dRun = new List<Guid>();
        var dName = new List<string>();
        var dTask = new List<Guid>();
        for (var i = 0; i < n; i++)
        {
            var (run, t) = tasks[i];
            tId[i] = t.Id;
            tRun[i] = run;
            tName[i] = t.Name;
            tType[i] = t.Type;
            var queued = NewRun.QueuedAtOnce(t) && !scheduled.Contains(run);
            anyQueued |= queued;
            tStatus[i] = queued ? NewRun.ReadyStatus(t.Type).ToWire() : "pending";
            tPriority[i] = t.Priority;
            tInput[i] = t.InputJson;
            tMeta[i] = t.MetadataJson;
            tDeps[i] = t.Dependencies.Count == 0 ? null : string.Join('\u001f', t.Dependencies);
            tParent[i] = t.ParentTaskId;
            tMaxAttempts[i] = t.RetryPolicy.MaxAttempts;
            tInitial[i] = t.RetryPolicy.InitialDelay.Ticks;
            tMaxDelay[i] = t.RetryPolicy.MaxDelay.Ticks;
            tFactor[i] = t.RetryPolicy.BackoffFactor;
            tJitter[i] = t.RetryPolicy.Jitter;
            tTimeout[i] = t.Timeout?.Ticks;
            tEnqueue[i] = t.Enqueue;
            tRemaining[i] = t.Dependencies.Count;
            foreach (var dep in t.Dependencies)
            {
                dRun.Add(run);
                dName.Add(dep);
                dTask.Add(t.Id);
            }
        }

        var created = new Dictionary<Guid, Run>();
        if (toInsert.Count > 0)
        {
            var rows = await tx.ReadAsync(S(PostgresSql.CreateRunsSql), new
            {
                r_id = rId, r_org = rOrg, r_kind = rKind, r_status = rStatus, r_family = rFamily, r_name = rName, r_input = rInput,
                r_meta = rMeta, r_key = rKey, r_maxc = rMax, r_timeout = rTimeout, r_done = rDone,
                t_id = tId, t_run = tRun, t_name = tName, t_type = tType, t_status = tStatus, t_priority = tPriority, t_input = tInput,
                t_meta = tMeta, t_deps = tDeps, t_parent = tParent, t_max = tMaxAttempts, t_initial = tInitial, t_maxdelay = tMaxDelay,
                t_factor = tFactor, t_jitter = tJitter, t_timeout = tTimeout, t_enqueue = tEnqueue, t_remaining = tRemaining,
                d_run = dRun.ToArray(), d_name = dName.ToArray(), d_task = dTask.ToArray(),
            }, PostgresRows.Run, ct);
            foreach (var run in rows) created[run.Id] = run;
            if (scheduled.Count > 0) await ScheduleRunsAsync(tx, runs, created, ct);
            await SetLimitKeysAsync(tx, runs, ct);
            await SetTraceContextsAsync(tx, runs, ct);
        }

        foreach (var i in toInsert)
        {
            var p = runs[i];
            if (created.TryGetValue(p.RunId, out var run))
            {
                results[i] = new CreateRunResult(run with { TotalTasks = p.Tasks.Count, ScheduledAt = p.ScheduledAt }, true);
            }
            else
            {
                results[i] = new CreateRunResult(await RunByKeyAsync(tx, p.OrgId, p.IdempotencyKey!, ct), false);
            }
        }

        foreach (var i in duplicates)
        {
            var p = runs[i];
            results[i] = new CreateRunResult(await RunByKeyAsync(tx, p.OrgId, p.IdempotencyKey!, ct), false);
        }

        var routed = toInsert.Where(i => created.ContainsKey(runs[i].RunId) && HasRouting(runs[i])).Select(i => runs[i]).ToList();
        if (routed.Count > 0) await WriteRoutingAsync(tx, routed, ct);
        if (uniqueHolders is not null) await FillUniqueDuplicatesAsync(tx, runs, uniqueHolders, results, ct);
        if (anyQueued) tx.WorkAvailable = true;
        return results!;
    }

    private async Task<Run> RunByKeyAsync(PgTx tx, string org, string key, CancellationToken ct)
    {
        var rows = await tx.ReadAsync(S(PostgresSql.RunByKeySql.Replace("{run}", PostgresRows.RunColumns, StringComparison.Ordinal).Replace("{counters}", PostgresRows.RunCounters, StringComparison.Ordinal)),
            new { org, key }, PostgresRows.Run, ct);
        return rows.Count > 0 ? rows[0] : throw new InvalidOperationException($"Orchestration: idempotency key '{key}' conflicted but no run holds it.");
    }
}
