using Npgsql;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Enqueue: runs with their graphs, in one statement per call (unnest), optionally inside the caller's transaction.
public sealed partial class PostgresStore
{
    private const string CreateRunsSql = """
        WITH r AS (
            SELECT * FROM unnest(@r_id::uuid[], @r_org::text[], @r_kind::text[], @r_status::text[], @r_family::text[], @r_name::text[],
                                 @r_input::text[], @r_meta::text[], @r_key::text[], @r_maxc::int[], @r_timeout::bigint[], @r_done::boolean[])
                   WITH ORDINALITY AS r(id, org_id, kind, status, family, name, input_json, metadata_json, idempotency_key, max_concurrency, timeout_ticks, done, ord)
        ), ins AS (
            INSERT INTO {s}.runs AS x (id, org_id, kind, status, family, name, input_json, metadata_json, idempotency_key, max_concurrency,
                                deadline_at, created_at, updated_at, started_at, completed_at)
            SELECT id, org_id, kind, status, family, name, input_json, metadata_json, idempotency_key, max_concurrency,
                   CASE WHEN timeout_ticks IS NULL THEN NULL ELSE {now} + timeout_ticks / 10 * interval '1 microsecond' END,
                   {now}, {now}, CASE WHEN done THEN {now} END, CASE WHEN done THEN {now} END
            FROM r ORDER BY ord
            ON CONFLICT (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING x.*
        ), t AS (
            INSERT INTO {s}.tasks (id, run_id, org_id, name, type, status, priority, input_json, metadata_json, dependencies, parent_task_id,
                                   retry_max_attempts, retry_initial_ticks, retry_max_ticks, retry_factor, retry_jitter, timeout_ticks,
                                   enqueue, remaining_deps, created_at, updated_at, queued_at, run_limited)
            SELECT n.id, n.run_id, ins.org_id, n.name, n.type, n.status, n.priority, n.input_json, n.metadata_json,
                   coalesce(string_to_array(n.deps, chr(31)), '{}'), n.parent_task_id, n.max_attempts, n.initial_ticks, n.max_ticks, n.factor, n.jitter,
                   n.timeout_ticks, n.enqueue, n.remaining, {now}, {now}, CASE WHEN n.status = 'queued' THEN {now} END, ins.max_concurrency IS NOT NULL
            FROM unnest(@t_id::uuid[], @t_run::uuid[], @t_name::text[], @t_type::text[], @t_status::text[], @t_priority::int[], @t_input::text[],
                        @t_meta::text[], @t_deps::text[], @t_parent::uuid[], @t_max::int[], @t_initial::bigint[], @t_maxdelay::bigint[],
                        @t_factor::float8[], @t_jitter::float8[], @t_timeout::bigint[], @t_enqueue::boolean[], @t_remaining::int[])
                 WITH ORDINALITY AS n(id, run_id, name, type, status, priority, input_json, metadata_json, deps, parent_task_id, max_attempts,
                                      initial_ticks, max_ticks, factor, jitter, timeout_ticks, enqueue, remaining, ord)
            JOIN ins ON ins.id = n.run_id
            ORDER BY n.ord
        ), d AS (
            INSERT INTO {s}.task_dependencies (run_id, dep_name, task_id)
            SELECT x.run_id, x.dep_name, x.task_id FROM unnest(@d_run::uuid[], @d_name::text[], @d_task::uuid[]) AS x(run_id, dep_name, task_id)
            JOIN ins ON ins.id = x.run_id
        ), e AS (
            INSERT INTO {s}.events (org_id, run_id, type, created_at)
            SELECT org_id, id, type, {now} FROM (
                SELECT ins.org_id, ins.id, 'run.created' AS type, ins.seq, 0 AS k FROM ins
                UNION ALL
                SELECT ins.org_id, ins.id, 'run.completed', ins.seq, 1 FROM ins WHERE ins.status = 'completed') ev
            ORDER BY seq, k
        )
        SELECT r.id, r.org_id, r.kind, r.status, r.family, r.name, r.input_json, r.output_json, r.error_json, r.metadata_json,
               r.idempotency_key, r.max_concurrency, r.deadline_at, r.created_at, r.updated_at, r.started_at, r.completed_at
        FROM ins r
        """;

    private const string RunByKeySql = """
        SELECT {run}, {counters} FROM {s}.runs r WHERE r.org_id = @org AND r.idempotency_key = @key
        """;

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
        var results = await InTransactionAsync((tx, ct) => CopyRunsAsync(tx, runs, ct), cancellationToken);
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
        // A key repeated within one call resolves to the first occurrence, as if the calls were made one after another.
        var firstByKey = new Dictionary<(string, string), int>();
        var toInsert = new List<int>(runs.Count);
        var duplicates = new List<int>();
        for (var i = 0; i < runs.Count; i++)
        {
            var p = runs[i];
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
            foreach (var t in p.Tasks) tasks.Add((p.RunId, t));
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
            var queued = NewRun.QueuedAtOnce(t);
            anyQueued |= queued;
            tStatus[i] = queued ? "queued" : "pending";
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
            var rows = await tx.ReadAsync(S(CreateRunsSql), new
            {
                r_id = rId, r_org = rOrg, r_kind = rKind, r_status = rStatus, r_family = rFamily, r_name = rName, r_input = rInput,
                r_meta = rMeta, r_key = rKey, r_maxc = rMax, r_timeout = rTimeout, r_done = rDone,
                t_id = tId, t_run = tRun, t_name = tName, t_type = tType, t_status = tStatus, t_priority = tPriority, t_input = tInput,
                t_meta = tMeta, t_deps = tDeps, t_parent = tParent, t_max = tMaxAttempts, t_initial = tInitial, t_maxdelay = tMaxDelay,
                t_factor = tFactor, t_jitter = tJitter, t_timeout = tTimeout, t_enqueue = tEnqueue, t_remaining = tRemaining,
                d_run = dRun.ToArray(), d_name = dName.ToArray(), d_task = dTask.ToArray(),
            }, PostgresRows.Run, ct);
            foreach (var run in rows) created[run.Id] = run;
        }

        foreach (var i in toInsert)
        {
            var p = runs[i];
            if (created.TryGetValue(p.RunId, out var run))
            {
                results[i] = new CreateRunResult(run with { TotalTasks = p.Tasks.Count }, true);
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

        if (anyQueued) tx.WorkAvailable = true;
        return results!;
    }

    private async Task<Run> RunByKeyAsync(PgTx tx, string org, string key, CancellationToken ct)
    {
        var rows = await tx.ReadAsync(S(RunByKeySql.Replace("{run}", PostgresRows.RunColumns, StringComparison.Ordinal).Replace("{counters}", PostgresRows.RunCounters, StringComparison.Ordinal)),
            new { org, key }, PostgresRows.Run, ct);
        return rows.Count > 0 ? rows[0] : throw new InvalidOperationException($"Orchestration: idempotency key '{key}' conflicted but no run holds it.");
    }
}
