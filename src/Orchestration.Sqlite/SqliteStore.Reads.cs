using System.Globalization;
using System.Text;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// The query side. Each method reads one snapshot on a pooled connection.
public sealed partial class SqliteStore
{
    private static (int Total, int Completed, int Failed) CountTasks(SqliteCommands db, Guid runId) =>
        db.QuerySingle(
            SqliteSql.CountTasksOfRun,
            r => new Tuple<int, int, int>(r.GetInt32(0), r.GetInt32(1), r.GetInt32(2)), runId) is { } c
            ? (c.Item1, c.Item2, c.Item3)
            : (0, 0, 0);

    // Ids bound per counter query: far below SQLite's variable limit (32,766), so a page of any size can be counted.
    private const int CounterChunk = 500;

    // Counters of many runs with one grouped query per chunk of ids.
    private static List<Run> WithCounters(SqliteCommands db, List<RunRow> rows)
    {
        if (rows.Count == 0) return [];
        var counts = new Dictionary<Guid, (Guid Id, int Total, int Completed, int Failed)>(rows.Count);
        foreach (var chunk in rows.Chunk(CounterChunk))
        {
            var sql = new StringBuilder("SELECT run_id, count(*), sum(status = 'completed'), sum(status = 'failed') FROM tasks WHERE run_id IN (");
            var args = new object?[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                sql.Append(i == 0 ? "$r" : ", $r").Append(i.ToString(CultureInfo.InvariantCulture));
                args[i] = chunk[i].Id;
            }

            sql.Append(") GROUP BY run_id");
            foreach (var c in db.Query(sql.ToString(), r => (Id: SqliteValues.Id(r, 0), Total: r.GetInt32(1), Completed: r.GetInt32(2), Failed: r.GetInt32(3)), args))
                counts[c.Id] = c;
        }

        return rows.Select(row => counts.TryGetValue(row.Id, out var c) ? row.ToRun(c.Total, c.Completed, c.Failed) : row.ToRun(0, 0, 0)).ToList();
    }

    // Oversized payloads are replaced in SQL, so their text is never copied out of SQLite. The cap is an int, never caller text.
    private static string CapPayloads(string columns, string prefix, int? maxChars)
    {
        if (maxChars is not { } max) return columns;
        var cap = max.ToString(CultureInfo.InvariantCulture);
        foreach (var name in (string[])["input", "output", "error", "metadata"])
        {
            var column = prefix + name;
            columns = System.Text.RegularExpressions.Regex.Replace(columns, $@"(?<![\w.]){System.Text.RegularExpressions.Regex.Escape(column)}(?![\w])",
                $"CASE WHEN length({column}) > {cap} THEN '{StoredPayload.OmittedPrefix}' || length({column}) ELSE {column} END");
        }

        return columns;
    }

    /// <inheritdoc />
    public Task<Run?> GetRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) =>
        ReadAsync(db =>
        {
            var row = db.QuerySingle(SqliteSql.RunInOrg, RunRow.Read, runId, orgId);
            if (row is null) return null;
            var (total, completed, failed) = CountTasks(db, runId);
            return (Run?)row.ToRun(total, completed, failed);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<Run?> GetRunByIdempotencyKeyAsync(string orgId, string idempotencyKey, CancellationToken cancellationToken) =>
        ReadAsync(db =>
        {
            var row = db.QuerySingle(SqliteSql.RunByKey, RunRow.Read, orgId, idempotencyKey);
            if (row is null) return null;
            var (total, completed, failed) = CountTasks(db, row.Id);
            return (Run?)row.ToRun(total, completed, failed);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<Page<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken) =>
        ReadAsync(db =>
        {
            var where = new StringBuilder(" WHERE org_id = $org");
            var args = new List<object?> { query.OrgId };
            if (query.Family is not null)
            {
                where.Append(" AND family = $family");
                args.Add(query.Family);
            }

            if (query.Status is { } status)
            {
                where.Append(" AND status = $status");
                args.Add(status.ToWire());
            }

            if (query.Names is { } names)
            {
                // json_each keeps the statement one shape whatever the number of names.
                where.Append(" AND name IN (SELECT value FROM json_each($names))");
                args.Add(System.Text.Json.JsonSerializer.Serialize(names));
            }

            if (query.WithTaskIn is { } withTask)
            {
                where.Append(" AND EXISTS (SELECT 1 FROM tasks wt WHERE wt.run_id = runs.id AND wt.status = $withTask)");
                args.Add(withTask.ToWire());
            }

            if (query.WithoutTaskIn is { } withoutTask)
            {
                where.Append(" AND NOT EXISTS (SELECT 1 FROM tasks nt WHERE nt.run_id = runs.id AND nt.status IN (SELECT value FROM json_each($withoutTask)))");
                args.Add(System.Text.Json.JsonSerializer.Serialize(withoutTask.Select(s => s.ToWire())));
            }

            if (query.CreatedFrom is { } from)
            {
                where.Append(" AND created_at >= $from");
                args.Add(from);
            }

            if (query.CreatedBefore is { } before)
            {
                where.Append(" AND created_at < $before");
                args.Add(before);
            }

            AppendSearch(db, query, where, args);
            var direction = query.Descending ? "DESC" : "ASC";
            // SQLite sorts NULL first ascending; "IS NULL" first keeps runs without the time last in both directions.
            var order = query.SortBy switch
            {
                RunSortField.UpdatedAt => $"updated_at {direction}",
                RunSortField.Status => $"status {direction}",
                RunSortField.StartedAt => $"started_at IS NULL, started_at {direction}",
                RunSortField.CompletedAt => $"completed_at IS NULL, completed_at {direction}",
                _ => $"created_at {direction}",
            };
            var total = Convert.ToInt32(db.Scalar("SELECT count(*) FROM runs" + where, [.. args]), CultureInfo.InvariantCulture);
            var fits = StoredPayload.Budget<RunRow>(query.PayloadBudgetChars,
                r => (r.InputJson?.Length ?? 0) + (r.OutputJson?.Length ?? 0) + (r.ErrorJson?.Length ?? 0) + (r.MetadataJson?.Length ?? 0));
            var rows = db.QueryWhile($"SELECT {CapPayloads(RunRow.Columns, "", query.MaxPayloadChars)} FROM runs{where} ORDER BY {order}, id {direction} LIMIT $limit OFFSET $offset",
                RunRow.Read, fits, [.. args, Math.Max(0, query.Limit), Math.Max(0, query.Offset)]);
            return new Page<Run>(WithCounters(db, rows), total);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TaskRun?> GetTaskAsync(string orgId, Guid taskId, CancellationToken cancellationToken) =>
        ReadAsync(db => db.QuerySingle(SqliteSql.TaskInOrg, TaskRow.Read, taskId, orgId)?.ToTaskRun(), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<UnfinishedTaskCount>> CountUnfinishedTasksAsync(CancellationToken cancellationToken) =>
        // No index covers every unfinished status, so this reads the task table once; the queue-depth gauge asks at
        // most every 15 s, and one grouped read replaces a count per org, family and status.
        ReadAsync<IReadOnlyList<UnfinishedTaskCount>>(db => db.Query(
            "SELECT t.org_id, r.family, t.status, count(*) FROM tasks t JOIN runs r ON r.id = t.run_id " +
            "WHERE t.status IN ('pending', 'queued', 'retrying', 'running') GROUP BY t.org_id, r.family, t.status",
            row => new UnfinishedTaskCount(row.GetString(0), row.GetString(1), StatusNames.ParseTaskStatus(row.GetString(2)), row.GetInt64(3))), cancellationToken);

    /// <inheritdoc />
    public Task<Page<TaskRun>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken) =>
        ReadAsync(db =>
        {
            // With a run, its tasks are found through the run (see SqliteSql.TasksOfRunInOrg), not by walking the org's.
            var where = new StringBuilder(query.RunId is null ? " WHERE t.org_id = $org" : " WHERE +t.org_id = $org");
            var args = new List<object?> { query.OrgId };
            if (query.RunId is { } runId)
            {
                where.Append(" AND t.run_id = $run");
                args.Add(runId);
            }

            if (query.Status is { } status)
            {
                where.Append(" AND t.status = $status");
                args.Add(status.ToWire());
            }

            if (query.Type is not null)
            {
                where.Append(" AND t.type = $type");
                args.Add(query.Type);
            }

            if (query.Statuses is not null)
            {
                // Wire names are fixed identifiers, never caller text, so they can be inlined.
                where.Append(query.Statuses.Count == 0
                    ? " AND 0"
                    : " AND t.status IN (" + string.Join(",", query.Statuses.Select(s => "'" + s.ToWire() + "'")) + ")");
            }

            if (query.Name is not null)
            {
                where.Append(" AND t.name = $name");
                args.Add(query.Name);
            }

            if (query.Priority is { } priority)
            {
                where.Append(" AND t.priority = $priority");
                args.Add(priority);
            }

            var join = "";
            if (query.Family is not null)
            {
                join = " JOIN runs r ON r.id = t.run_id";
                where.Append(" AND r.family = $family");
                args.Add(query.Family);
            }

            var total = Convert.ToInt32(db.Scalar($"SELECT count(*) FROM tasks t{join}{where}", [.. args]), CultureInfo.InvariantCulture);
            var direction = query.Descending ? "DESC" : "ASC";
            // SQLite sorts NULL first ascending; "IS NULL" first keeps tasks without the time last in both directions.
            var order = query.SortBy switch
            {
                TaskSortField.StartedAt => $"t.started_at IS NULL, t.started_at {direction}, ",
                TaskSortField.CompletedAt => $"t.completed_at IS NULL, t.completed_at {direction}, ",
                _ => "",
            };
            var fits = StoredPayload.Budget<TaskRow>(query.PayloadBudgetChars,
                r => (r.InputJson?.Length ?? 0) + (r.OutputJson?.Length ?? 0) + (r.ErrorJson?.Length ?? 0) + (r.MetadataJson?.Length ?? 0));
            var rows = db.QueryWhile($"SELECT {CapPayloads(PrefixedTaskColumns, "t.", query.MaxPayloadChars)} FROM tasks t{join}{where} ORDER BY {order}t.seq {direction} LIMIT $limit OFFSET $offset",
                TaskRow.Read, fits, [.. args, Math.Max(0, query.Limit), Math.Max(0, query.Offset)]);
            return new Page<TaskRun>(rows.Select(t => t.ToTaskRun()).ToList(), total);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskRun>> GetRunTasksAsync(string orgId, Guid runId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<TaskRun>>(db =>
            db.Query(SqliteSql.TasksOfRunInOrg, TaskRow.Read, runId, orgId)
                .Select(t => t.ToTaskRun()).ToList(), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskAttempt>> GetAttemptsAsync(string orgId, Guid taskId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<TaskAttempt>>(db =>
            db.Query(SqliteSql.AttemptsOfTaskInOrg, AttemptRows.Read, taskId, orgId),
            cancellationToken);

    /// <inheritdoc />
    public Task<RunDataEntry?> GetLatestRunDataAsync(string orgId, Guid runId, string key, CancellationToken cancellationToken) =>
        ReadAsync(db =>
        {
            var rows = db.Query(SqliteSql.LatestRunData,
                RunDataRows.Read, runId, key, orgId);
            return rows.Count == 0 ? null : (RunDataEntry?)rows[0].Entry;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<Page<RunDataEntry>> QueryRunDataAsync(RunDataQuery query, CancellationToken cancellationToken) =>
        ReadAsync(db =>
        {
            var (matching, args) = RunDataSql.Matching(query);
            var total = Convert.ToInt32(db.Scalar(matching + "SELECT count(*) FROM l", [.. args]), CultureInfo.InvariantCulture);
            var rows = db.Query(matching + $"SELECT {RunDataRows.Columns} FROM l ORDER BY {RunDataSql.Order(query)} LIMIT $limit OFFSET $offset",
                RunDataRows.Read, [.. args, Math.Max(0, query.Limit), Math.Max(0, query.Offset)]);
            return new Page<RunDataEntry>(rows.Select(x => x.Entry).ToList(), total);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<EngineEvent>> ReadEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<EngineEvent>>(db => SqliteEventBatches.Read(db, afterSequence, limit, orgId),
            cancellationToken);

    /// <inheritdoc />
    /// <remarks>SQLite has one writer at a time, so events commit in sequence order.</remarks>
    public Task<EventBatch> ReadCommittedEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken) =>
        EventBatch.ReadInOrderAsync(this, afterSequence, limit, orgId, cancellationToken);

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ReadAsync(db => Convert.ToInt64(db.Scalar("SELECT 1"), CultureInfo.InvariantCulture) == 1, cancellationToken);
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            return false;
        }
    }
}
