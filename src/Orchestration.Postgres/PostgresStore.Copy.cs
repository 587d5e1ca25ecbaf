using Npgsql;
using NpgsqlTypes;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Bulk enqueue by binary COPY: large batches without idempotency keys (nothing can conflict, so nothing needs
// ON CONFLICT or a read-back) are streamed into runs, tasks, task_dependencies and events in one transaction. The
// unnest statement spent most of its time unpacking 30 parameter arrays, sorting and joining them; COPY hands the
// server finished rows. Every row carries the transaction's now(), exactly as the statement would have written it.
public sealed partial class PostgresStore
{
    // Below this the single unnest statement is as quick and saves round trips.
    internal const int CopyThreshold = 256;

    private static bool CanCopy(IReadOnlyList<CreateRunParams> runs)
    {
        if (runs.Count < CopyThreshold) return false;
        foreach (var r in runs)
            if (r.IdempotencyKey is not null || r.ScheduledAt is not null || r.Unique is not null || HasRouting(r)) return false;
        return true;
    }

    private async Task<IReadOnlyList<CreateRunResult>> CopyRunsAsync(PgTx tx, IReadOnlyList<CreateRunParams> runs, CancellationToken ct)
    {
        var conn = tx.Connection;
        DateTimeOffset now;
        if (HostNow() is { } hostNow)
        {
            // The server keeps microseconds; the returned runs must equal what a later read gives.
            now = new DateTimeOffset(hostNow.UtcTicks - hostNow.UtcTicks % 10, TimeSpan.Zero);
        }
        else
        {
            await using var cmd = new NpgsqlCommand("SELECT now()", conn, tx.Transaction);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            now = reader.GetFieldValue<DateTimeOffset>(0);
        }

        var results = new CreateRunResult[runs.Count];
        var anyQueued = false;
        var anyDeps = false;
        await using (var w = await conn.BeginBinaryImportAsync(S(
            "COPY {s}.runs (id, org_id, kind, status, family, name, input_json, metadata_json, max_concurrency, deadline_at, created_at, updated_at, started_at, completed_at) FROM STDIN (FORMAT BINARY)"), ct))
        {
            for (var i = 0; i < runs.Count; i++)
            {
                var p = runs[i];
                var done = NewRun.CompletesAtOnce(p);
                DateTimeOffset? deadline = p.Timeout is { } timeout ? now.AddTicks(timeout.Ticks / 10 * 10) : null;
                // A deadline is news to an idle leader's maintenance loop, which sleeps until the ones it knew of.
                anyQueued |= deadline is not null && !done;
                await w.StartRowAsync(ct);
                await w.WriteAsync(p.RunId, NpgsqlDbType.Uuid, ct);
                await w.WriteAsync(p.OrgId, NpgsqlDbType.Text, ct);
                await w.WriteAsync(PostgresRows.Kind(p.Kind), NpgsqlDbType.Text, ct);
                await w.WriteAsync(done ? "completed" : "pending", NpgsqlDbType.Text, ct);
                await w.WriteAsync(p.Family, NpgsqlDbType.Text, ct);
                await WriteAsync(w, p.Name, NpgsqlDbType.Text, ct);
                await WriteAsync(w, p.InputJson, NpgsqlDbType.Text, ct);
                await WriteAsync(w, p.MetadataJson, NpgsqlDbType.Text, ct);
                await WriteAsync(w, p.MaxConcurrency, NpgsqlDbType.Integer, ct);
                await WriteAsync(w, deadline, NpgsqlDbType.TimestampTz, ct);
                await w.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
                await w.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
                await WriteAsync(w, done ? now : (DateTimeOffset?)null, NpgsqlDbType.TimestampTz, ct);
                await WriteAsync(w, done ? now : (DateTimeOffset?)null, NpgsqlDbType.TimestampTz, ct);
                results[i] = new CreateRunResult(NewRun.Run(p, now, deadline, completed: done, totalTasks: p.Tasks.Count), true);
            }

            await w.CompleteAsync(ct);
        }

        await using (var w = await conn.BeginBinaryImportAsync(S(
            "COPY {s}.tasks (id, run_id, org_id, name, type, status, priority, input_json, metadata_json, dependencies, parent_task_id, retry_max_attempts, " +
            "retry_initial_ticks, retry_max_ticks, retry_factor, retry_jitter, timeout_ticks, enqueue, remaining_deps, created_at, updated_at, queued_at, run_limited) FROM STDIN (FORMAT BINARY)"), ct))
        {
            foreach (var p in runs)
            {
                foreach (var t in p.Tasks)
                {
                    var queued = NewRun.QueuedAtOnce(t);
                    anyQueued |= queued;
                    anyDeps |= t.Dependencies.Count > 0;
                    await w.StartRowAsync(ct);
                    await w.WriteAsync(t.Id, NpgsqlDbType.Uuid, ct);
                    await w.WriteAsync(p.RunId, NpgsqlDbType.Uuid, ct);
                    await w.WriteAsync(p.OrgId, NpgsqlDbType.Text, ct);
                    await w.WriteAsync(t.Name, NpgsqlDbType.Text, ct);
                    await w.WriteAsync(t.Type, NpgsqlDbType.Text, ct);
                    await w.WriteAsync(queued ? "queued" : "pending", NpgsqlDbType.Text, ct);
                    await w.WriteAsync(t.Priority, NpgsqlDbType.Integer, ct);
                    await WriteAsync(w, t.InputJson, NpgsqlDbType.Text, ct);
                    await WriteAsync(w, t.MetadataJson, NpgsqlDbType.Text, ct);
                    await w.WriteAsync(t.Dependencies as string[] ?? t.Dependencies.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                    await WriteAsync(w, t.ParentTaskId, NpgsqlDbType.Uuid, ct);
                    await w.WriteAsync(t.RetryPolicy.MaxAttempts, NpgsqlDbType.Integer, ct);
                    await w.WriteAsync(t.RetryPolicy.InitialDelay.Ticks, NpgsqlDbType.Bigint, ct);
                    await w.WriteAsync(t.RetryPolicy.MaxDelay.Ticks, NpgsqlDbType.Bigint, ct);
                    await w.WriteAsync(t.RetryPolicy.BackoffFactor, NpgsqlDbType.Double, ct);
                    await w.WriteAsync(t.RetryPolicy.Jitter, NpgsqlDbType.Double, ct);
                    await WriteAsync(w, t.Timeout?.Ticks, NpgsqlDbType.Bigint, ct);
                    await w.WriteAsync(t.Enqueue, NpgsqlDbType.Boolean, ct);
                    await w.WriteAsync(t.Dependencies.Count, NpgsqlDbType.Integer, ct);
                    await w.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
                    await w.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
                    await WriteAsync(w, queued ? now : (DateTimeOffset?)null, NpgsqlDbType.TimestampTz, ct);
                    await w.WriteAsync(p.MaxConcurrency is not null, NpgsqlDbType.Boolean, ct);
                }
            }

            await w.CompleteAsync(ct);
        }

        if (anyDeps)
        {
            await using var w = await conn.BeginBinaryImportAsync(S(PostgresSql.CopyDependencies), ct);
            foreach (var p in runs)
            {
                foreach (var t in p.Tasks)
                {
                    foreach (var dep in t.Dependencies)
                    {
                        await w.StartRowAsync(ct);
                        await w.WriteAsync(p.RunId, NpgsqlDbType.Uuid, ct);
                        await w.WriteAsync(dep, NpgsqlDbType.Text, ct);
                        await w.WriteAsync(t.Id, NpgsqlDbType.Uuid, ct);
                    }
                }
            }

            await w.CompleteAsync(ct);
        }

        // Keyed tasks get their limit in the same transaction, before any claim can see them.
        await SetLimitKeysAsync(tx, runs, ct);

        // One event row per org and type, as the statement path writes them (PostgresEventSql.InsertBatches): run.created
        // of every run in the runs' order, then run.completed of the empty ones.
        await using (var w = await conn.BeginBinaryImportAsync(S(PostgresSql.CopyEventBatches), ct))
        {
            var orgs = runs.GroupBy(p => p.OrgId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            foreach (var org in orgs) await WriteEventBatchesAsync(w, org.Key, "run.created", org.Select(p => p.RunId).ToList(), now, ct);
            foreach (var org in orgs) await WriteEventBatchesAsync(w, org.Key, "run.completed", org.Where(NewRun.CompletesAtOnce).Select(p => p.RunId).ToList(), now, ct);

            await w.CompleteAsync(ct);
        }

        if (anyQueued) tx.WorkAvailable = true;
        return results;
    }

    private static Task WriteAsync<T>(NpgsqlBinaryImporter w, T? value, NpgsqlDbType type, CancellationToken ct) where T : class =>
        value is null ? w.WriteNullAsync(ct) : w.WriteAsync(value, type, ct);

    private static Task WriteAsync<T>(NpgsqlBinaryImporter w, T? value, NpgsqlDbType type, CancellationToken ct) where T : struct =>
        value is { } v ? w.WriteAsync(v, type, ct) : w.WriteNullAsync(ct);

    private static async Task WriteEventBatchesAsync(NpgsqlBinaryImporter w, string orgId, string type, List<Guid> runIds, DateTimeOffset now, CancellationToken ct)
    {
        for (var at = 0; at < runIds.Count; at += PostgresEventSql.MaxBatch)
        {
            await w.StartRowAsync(ct);
            await w.WriteAsync(orgId, NpgsqlDbType.Text, ct);
            await w.WriteAsync(type, NpgsqlDbType.Text, ct);
            await w.WriteAsync(runIds.GetRange(at, Math.Min(PostgresEventSql.MaxBatch, runIds.Count - at)).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
        }
    }
}
