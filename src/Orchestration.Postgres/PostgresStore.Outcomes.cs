using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Completions, failures, lease reaping and run deadlines: everything that can end a task or a run.
public sealed partial class PostgresStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskWriteResult>> CompleteTasksAsync(IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken)
    {
        if (completions.Count == 0) return [];
        var first = FirstOccurrences(completions.Select(c => c.Lease.TaskId));
        // Completions that report an exit code take the routed path at once; so do those the batch leaves alone below.
        var items = first.Select(i => completions[i]).Where(c => c.ExitCode is null).ToList();
        var ids = items.Select(c => c.Lease.TaskId).ToArray();
        var tokens = items.Select(c => c.Lease.LeaseToken).ToArray();
        var outputs = items.Select(c => c.OutputJson).ToArray();
        var sql = S(PostgresSql.LockRunsOfTasksSql + ";\n" + PostgresSql.CompleteBatchSql);
        var applied = items.Count == 0 ? [] : await InOneRoundTripAsync(async (tx, ct) =>
        {
            var done = await tx.ReadAsync(sql, new { ids, tokens, outputs, channel = Channel }, r => (Id: r.GetGuid(0), Woke: r.GetInt32(1) > 0), ct, skipResults: 1);
            if (done.Any(d => d.Woke)) tx.WorkAvailable = true;
            return done.Select(d => d.Id).ToHashSet();
        }, cancellationToken);

        // The batch does not complete sources of routes (a lost lease is not applied either, and is refused again here).
        var rest = first.Select(i => completions[i]).Where(c => !applied.Contains(c.Lease.TaskId)).ToList();
        if (rest.Count > 0) applied.UnionWith(await CompleteRoutedAsync(rest, cancellationToken));

        var results = new TaskWriteResult[completions.Count];
        var firstSet = first.ToHashSet();
        for (var i = 0; i < results.Length; i++)
        {
            var id = completions[i].Lease.TaskId;
            var ok = firstSet.Contains(i) && applied.Contains(id);
            results[i] = new TaskWriteResult(id, ok, ok ? TaskRunStatus.Completed : null);
        }

        return results;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskWriteResult>> FailTasksAsync(IReadOnlyList<TaskFailure> failures, CancellationToken cancellationToken)
    {
        if (failures.Count == 0) return [];
        var first = FirstOccurrences(failures.Select(f => f.Lease.TaskId));
        var items = first.Select(i => failures[i]).Select(f => new FailItem(f.Lease.TaskId, f.Lease.LeaseToken, f.ErrorJson, JsonDefaults.ErrorMessage(f.ErrorJson), f.Retryable, f.OutputJson, f.ExitCode)).ToList();
        var statuses = await InTransactionAsync((tx, ct) => FailCoreAsync(tx, items, AttemptOutcomes.Failed, expired: false, ct), cancellationToken);
        var firstSet = first.ToHashSet();
        var results = new TaskWriteResult[failures.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var id = failures[i].Lease.TaskId;
            results[i] = firstSet.Contains(i) && statuses.TryGetValue(id, out var s) ? new TaskWriteResult(id, true, s) : new TaskWriteResult(id, false, null);
        }

        return results;
    }

    /// <inheritdoc />
    public async Task<int> ReleaseExpiredLeasesAsync(int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0) return 0;
        var error = JsonDefaults.ErrorJson("lease expired: the executor stopped heartbeating");
        return await InTransactionAsync(async (tx, ct) =>
        {
            var expired = await tx.ReadAsync(S(PostgresSql.ExpiredLeasesSql), new { limit }, r => (Id: r.GetGuid(0), Token: r.GetGuid(1)), ct);
            if (expired.Count == 0) return 0;
            var items = expired.Select(e => new FailItem(e.Id, e.Token, error, "lease expired", true, null)).ToList();
            await tx.ExecAsync(S(PostgresSql.LockRunsOfTasksSql), new { ids = items.Select(i => i.Id).ToArray() }, ct);
            var reaped = await FailCoreAsync(tx, items, AttemptOutcomes.LeaseExpired, expired: true, ct);
            return reaped.Count;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int> FailTimedOutRunsAsync(int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0) return 0;
        var error = JsonDefaults.ErrorJson("run timed out");
        return await InTransactionAsync(async (tx, ct) =>
        {
            var runs = (await tx.QueryAsync<Guid>(S(PostgresSql.DueRunsSql), new { limit }, ct)).ToArray();
            if (runs.Length == 0) return 0;
            var running = await tx.ScalarAsync<int>(S(PostgresSql.CancelUnfinishedSql), new { runs }, ct);
            if (running > 0) tx.TasksCancelled = true;
            await tx.ExecAsync(S(PostgresSql.TimeOutRunsSql), new { runs, error }, ct);
            return runs.Length;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<TimeSpan?> NextMaintenanceDueAsync(CancellationToken cancellationToken) =>
        OnConnectionAsync(async (tx, ct) =>
        {
            var ms = await tx.ScalarAsync<double?>(S(PostgresSql.NextMaintenanceDueSql), null, ct);
            return ms is { } m ? TimeSpan.FromMilliseconds(Math.Max(0, m)) : (TimeSpan?)null;
        }, cancellationToken);

    private sealed record FailItem(Guid Id, Guid Token, string? ErrorJson, string? Message, bool Retryable, string? OutputJson, int? ExitCode = null);

    // Caller holds the run locks. Returns the new status of every item that applied.
    private async Task<Dictionary<Guid, TaskRunStatus>> FailCoreAsync(PgTx tx, List<FailItem> items, string outcome, bool expired, CancellationToken ct)
    {
        var rows = await tx.ReadAsync(S(expired ? PostgresSql.FailSql : PostgresSql.LockRunsOfTasksSql + ";\n" + PostgresSql.FailSql), new
        {
            ids = items.Select(i => i.Id).ToArray(),
            tokens = items.Select(i => i.Token).ToArray(),
            errors = items.Select(i => i.ErrorJson).ToArray(),
            messages = items.Select(i => i.Message).ToArray(),
            retryable = items.Select(i => i.Retryable).ToArray(),
            outputs = items.Select(i => i.OutputJson).ToArray(),
            rand = items.Select(_ => Random.Shared.NextDouble()).ToArray(),
            expired,
            outcome,
        }, r => (Id: r.GetGuid(0), Run: r.GetGuid(1), Name: r.GetString(2), Status: r.GetString(3), DueMs: r.IsDBNull(4) ? (double?)null : Convert.ToDouble(r.GetValue(4), System.Globalization.CultureInfo.InvariantCulture)), ct,
            skipResults: expired ? 0 : 1);
        var result = new Dictionary<Guid, TaskRunStatus>(rows.Count);
        foreach (var row in rows)
        {
            var status = StatusNames.ParseTaskStatus(row.Status);
            result[row.Id] = status;
            if (status == TaskRunStatus.Retrying && row.DueMs is { } ms) tx.RetryIn(TimeSpan.FromMilliseconds(Math.Max(0, ms)));
        }

        if (rows.Count > 0 && !tx.WorkAvailable && await tx.ScalarAsync<bool>(S(PostgresKeySql.QueuedInLimitedRunsOrKeysSql), new { runs = rows.Select(r => r.Run).Distinct().ToArray(), ids = rows.Select(r => r.Id).ToArray() }, ct))
            tx.WorkAvailable = true;

        if (rows.Count > 0)
        {
            // Every applied attempt reports its exit code (null for none), as a completion does.
            var codes = items.ToDictionary(i => i.Id, i => i.ExitCode);
            await tx.ExecAsync(S(PostgresSql.SetExitCodesSql), new { ids = rows.Select(r => r.Id).ToArray(), codes = rows.Select(r => codes[r.Id]).ToArray() }, ct);
        }

        var failed = rows.Where(r => r.Status == "failed").ToList();
        if (failed.Count > 0)
        {
            // A failure the task allows counts as a completion for its dependents.
            var allowed = (await tx.QueryAsync<Guid>(S(PostgresSql.AllowedFailuresSql), new { ids = failed.Select(f => f.Id).ToArray() }, ct)).ToHashSet();
            var skipping = failed.Where(f => !allowed.Contains(f.Id)).ToList();
            if (skipping.Count > 0) await SkipDependentsAsync(tx, skipping.Select(f => f.Run).ToArray(), skipping.Select(f => f.Name).ToArray(), ct);
            var promoting = failed.Where(f => allowed.Contains(f.Id)).ToList();
            if (promoting.Count > 0 && await tx.ScalarAsync<int>(S(PostgresSql.PromoteSql), new { runs = promoting.Select(f => f.Run).ToArray(), names = promoting.Select(f => f.Name).ToArray() }, ct) > 0)
                tx.WorkAvailable = true;
            var runs = failed.Select(f => f.Run).Distinct().ToArray();
            await RerouteRunsAsync(tx, runs, ct);
            await FinalizeRunsAsync(tx, runs, ct);
        }

        return result;
    }

    private Task SkipDependentsAsync(PgTx tx, Guid[] runs, string[] names, CancellationToken ct) =>
        tx.ExecAsync(S(PostgresSql.SkipSql), new { runs, names }, ct);

    private async Task<bool> PromoteDependentsAsync(PgTx tx, Guid run, string name, CancellationToken ct) =>
        await tx.ScalarAsync<int>(S(PostgresSql.PromoteSql), new { runs = new[] { run }, names = new[] { name } }, ct) > 0;

    // Managed runs whose tasks are all terminal end: completed, or failed naming the first failed or cancelled task.
    // The caller holds the run locks, so no other transaction can change these runs' tasks meanwhile.
    private async Task FinalizeRunsAsync(PgTx tx, Guid[] runs, CancellationToken ct)
    {
        if (runs.Length == 0) return;
        var candidates = await tx.ReadAsync(S(PostgresSql.FinalizeCandidatesSql), new { runs },
            r => (Id: r.GetGuid(0), FailedName: PostgresRows.Str(r, 1), FailedStatus: PostgresRows.Str(r, 2), AnySkipped: r.GetBoolean(3)), ct);
        if (candidates.Count == 0) return;
        var statuses = new string[candidates.Count];
        var errors = new string?[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            if (c.FailedName is null && !c.AnySkipped)
            {
                statuses[i] = "completed";
                continue;
            }

            statuses[i] = "failed";
            errors[i] = JsonDefaults.ErrorJson(c.FailedName is not null ? $"task '{c.FailedName}' {c.FailedStatus}" : "tasks were skipped");
        }

        await tx.ExecAsync(S(PostgresSql.FinalizeSql), new { ids = candidates.Select(c => c.Id).ToArray(), statuses, errors }, ct);
    }

    private static List<int> FirstOccurrences(IEnumerable<Guid> ids)
    {
        var seen = new HashSet<Guid>();
        var list = new List<int>();
        var i = 0;
        foreach (var id in ids)
        {
            if (seen.Add(id)) list.Add(i);
            i++;
        }

        return list;
    }
}
