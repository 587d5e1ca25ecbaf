using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Queries for the APIs. Every query is scoped by org. Ordinal ordering of text uses COLLATE "C"
// so results do not depend on the database's locale.
public sealed partial class PostgresStore
{
    private string RunSelect => "SELECT " + PostgresRows.RunColumns + ", " + PostgresRows.RunCounters + " FROM {s}.runs r ";

    // Oversized payloads are replaced in SQL, so their text never crosses the wire. The cap is an int, never caller text.
    private static string CapPayloads(string columns, string alias, int? maxChars)
    {
        if (maxChars is not { } max) return columns;
        var cap = max.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var name in (string[])["input_json", "output_json", "error_json", "metadata_json"])
        {
            var column = alias + "." + name;
            columns = columns.Replace(column, $"CASE WHEN length({column}) > {cap} THEN '{StoredPayload.OmittedPrefix}' || length({column}) ELSE {column} END", StringComparison.Ordinal);
        }

        return columns;
    }

    /// <inheritdoc />
    public async Task<Run?> GetRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(RunSelect + "WHERE r.id = @runId AND r.org_id = @orgId"), new { orgId, runId }, PostgresRows.Run, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<Run?> GetRunByIdempotencyKeyAsync(string orgId, string idempotencyKey, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(RunSelect + "WHERE r.org_id = @orgId AND r.idempotency_key = @idempotencyKey"), new { orgId, idempotencyKey }, PostgresRows.Run, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public Task<Page<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken)
    {
        var dir = query.Descending ? "DESC" : "ASC";
        var order = query.SortBy switch
        {
            RunSortField.UpdatedAt => $"r.updated_at {dir}, r.id {dir}",
            RunSortField.Status => $"r.status COLLATE \"C\" {dir}, r.id {dir}",
            RunSortField.StartedAt => $"r.started_at {dir} NULLS LAST, r.id {dir}",
            RunSortField.CompletedAt => $"r.completed_at {dir} NULLS LAST, r.id {dir}",
            _ => $"r.created_at {dir}, r.id {dir}",
        };
        var where = "WHERE r.org_id = @org AND (@family::text IS NULL OR r.family = @family) AND (@status::text IS NULL OR r.status = @status) "
            + "AND (@names::text[] IS NULL OR r.name = ANY(@names::text[])) "
            + "AND (@withTask::text IS NULL OR EXISTS (SELECT 1 FROM {s}.tasks wt WHERE wt.run_id = r.id AND wt.status = @withTask)) "
            + "AND (@withoutTask::text[] IS NULL OR NOT EXISTS (SELECT 1 FROM {s}.tasks nt WHERE nt.run_id = r.id AND nt.status = ANY(@withoutTask::text[]))) "
            + "AND (@createdFrom::timestamptz IS NULL OR r.created_at >= @createdFrom) AND (@createdBefore::timestamptz IS NULL OR r.created_at < @createdBefore) "
            + SearchClause(query);
        var args = new
        {
            org = query.OrgId, family = query.Family, status = query.Status?.ToWire(), names = query.Names?.ToArray(),
            withTask = query.WithTaskIn?.ToWire(), withoutTask = query.WithoutTaskIn?.Select(s => s.ToWire()).ToArray(),
            createdFrom = query.CreatedFrom?.ToUniversalTime(), createdBefore = query.CreatedBefore?.ToUniversalTime(),
            tag = query.Tag, dataKey = query.DataKey,
            inputField = query.InputValue is null ? null : query.InputField, inputValue = query.InputField is null ? null : query.InputValue,
            limit = Math.Max(0, query.Limit), offset = Math.Max(0, query.Offset),
        };
        return OnConnectionAsync(async (tx, ct) =>
        {
            await CheckSearchFieldsAsync(tx, query, ct);
            var total = await tx.ScalarAsync<int>(S("SELECT count(*)::int FROM {s}.runs r " + where), args, ct);
            var select = "SELECT " + CapPayloads(PostgresRows.RunColumns, "r", query.MaxPayloadChars) + ", " + PostgresRows.RunCounters + " FROM {s}.runs r ";
            var items = await tx.ReadWhileAsync(S(select + where + "ORDER BY " + order + " LIMIT @limit OFFSET @offset"), args, PostgresRows.Run,
                StoredPayload.Budget<Run>(query.PayloadBudgetChars, StoredPayload.Cost), ct);
            return new Page<Run>(items, total);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<TaskRun?> GetTaskAsync(string orgId, Guid taskId, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(PostgresSql.TaskInOrg), new { orgId, taskId }, PostgresRows.Task, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public Task<IReadOnlyList<UnfinishedTaskCount>> CountUnfinishedTasksAsync(CancellationToken cancellationToken) =>
        // The first predicate is tasks_unfinished's, so only unfinished tasks are read, however many finished ones are
        // kept; the second leaves out tasks awaiting approval, which hold no executor.
        OnConnectionAsync<IReadOnlyList<UnfinishedTaskCount>>(async (tx, ct) => await tx.ReadAsync(S("""
            SELECT t.org_id, r.family, t.status, count(*) FROM {s}.tasks t JOIN {s}.runs r ON r.id = t.run_id
            WHERE t.status NOT IN ('completed', 'failed', 'cancelled', 'skipped') AND t.status IN ('pending', 'queued', 'retrying', 'running')
            GROUP BY t.org_id, r.family, t.status
            """), null, r => new UnfinishedTaskCount(r.GetString(0), r.GetString(1), StatusNames.ParseTaskStatus(r.GetString(2)), r.GetInt64(3)), ct), cancellationToken);

    /// <inheritdoc />
    public Task<Page<TaskRun>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken)
    {
        const string where = """
            WHERE t.org_id = @org AND (@run::uuid IS NULL OR t.run_id = @run) AND (@status::text IS NULL OR t.status = @status)
              AND (@type::text IS NULL OR t.type = @type)
              AND (@statuses::text[] IS NULL OR t.status = ANY(@statuses::text[]))
              AND (@name::text IS NULL OR t.name = @name)
              AND (@priority::int IS NULL OR t.priority = @priority)
              AND (@family::text IS NULL OR EXISTS (SELECT 1 FROM {s}.runs r WHERE r.id = t.run_id AND r.family = @family))
            """;
        var args = new
        {
            org = query.OrgId, run = query.RunId, status = query.Status?.ToWire(), type = query.Type,
            statuses = query.Statuses?.Select(s => s.ToWire()).ToArray(), name = query.Name, priority = query.Priority,
            family = query.Family, limit = Math.Max(0, query.Limit), offset = Math.Max(0, query.Offset),
        };
        var dir = query.Descending ? "DESC" : "ASC";
        var order = query.SortBy switch
        {
            TaskSortField.StartedAt => $"t.started_at {dir} NULLS LAST, t.seq {dir}",
            TaskSortField.CompletedAt => $"t.completed_at {dir} NULLS LAST, t.seq {dir}",
            _ => $"t.seq {dir}",
        };
        return OnConnectionAsync(async (tx, ct) =>
        {
            var total = await tx.ScalarAsync<int>(S("SELECT count(*)::int FROM {s}.tasks t " + where), args, ct);
            var items = await tx.ReadWhileAsync(S("SELECT " + CapPayloads(PostgresRows.TaskColumns, "t", query.MaxPayloadChars) + " FROM {s}.tasks t " + where + " ORDER BY " + order + " LIMIT @limit OFFSET @offset"),
                args, PostgresRows.Task, StoredPayload.Budget<TaskRun>(query.PayloadBudgetChars, StoredPayload.Cost), ct);
            return new Page<TaskRun>(items, total);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskRun>> GetRunTasksAsync(string orgId, Guid runId, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(PostgresSql.TasksOfRunInOrg), new { orgId, runId }, PostgresRows.Task, ct), cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskAttempt>> GetAttemptsAsync(string orgId, Guid taskId, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(PostgresSql.AttemptsOfTaskInOrg), new { orgId, taskId }, PostgresRows.Attempt, ct), cancellationToken);

    /// <inheritdoc />
    public async Task<RunDataEntry?> GetLatestRunDataAsync(string orgId, Guid runId, string key, CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(PostgresSql.LatestRunData), new { orgId, runId, key }, PostgresRows.RunData, ct), cancellationToken)).FirstOrDefault();

    /// <inheritdoc />
    public Task<Page<RunDataEntry>> QueryRunDataAsync(RunDataQuery query, CancellationToken cancellationToken)
    {
        // Lists are single array parameters, so no number of values reaches a parameter limit. Key filters combine
        // with OR (Foreman's meaning); a filter that was not given is switched off by its own parameter.
        const string matching = """
            WITH m AS (
                SELECT d.* FROM {s}.run_data d
                WHERE d.run_id = @run AND d.org_id = @org
                  AND (NOT @anyKey OR d.key = @key::text OR d.key = ANY(@keys::text[])
                       OR EXISTS (SELECT 1 FROM unnest(@prefixes::text[]) p WHERE starts_with(d.key, p))
                       OR (@pattern::text IS NOT NULL AND d.key COLLATE "C" LIKE @pattern::text ESCAPE '\'))
                  AND (cardinality(@tags::text[]) = 0 OR (@all AND d.tags @> @tags::text[]) OR (NOT @all AND d.tags && @tags::text[]))
                  AND (cardinality(@tagPrefixes::text[]) = 0
                       OR (@all AND NOT EXISTS (SELECT 1 FROM unnest(@tagPrefixes::text[]) p WHERE NOT EXISTS (SELECT 1 FROM unnest(d.tags) t WHERE starts_with(t, p))))
                       OR (NOT @all AND EXISTS (SELECT 1 FROM unnest(d.tags) t, unnest(@tagPrefixes::text[]) p WHERE starts_with(t, p))))
            ), l AS (
                -- One pass over the matching rows; a correlated max(seq) would rescan the materialised m per row.
                SELECT * FROM (SELECT m.*, row_number() OVER (PARTITION BY m.key ORDER BY m.seq DESC) AS latest FROM m) w WHERE @includeAll OR w.latest = 1
            )
            """;
        var dir = query.Descending ? "DESC" : "ASC";
        var order = query.SortBy switch
        {
            RunDataSortField.Key => $"d.key COLLATE \"C\" {dir}, d.seq {dir}",
            RunDataSortField.UpdatedAt => $"d.updated_at {dir}, d.seq {dir}",
            _ => $"d.seq {dir}",
        };
        var args = new
        {
            run = query.RunId, org = query.OrgId,
            anyKey = query.Key is not null || query.Keys.Count > 0 || query.KeyPrefixes.Count > 0 || query.KeyPattern is not null,
            key = query.Key, keys = query.Keys.ToArray(), prefixes = query.KeyPrefixes.ToArray(),
            pattern = query.KeyPattern is { } p ? LikePattern(p) : null,
            tags = query.Tags.ToArray(), tagPrefixes = query.TagPrefixes.ToArray(),
            all = query.TagMatch == TagMatch.All, includeAll = query.IncludeAll, limit = Math.Max(0, query.Limit), offset = Math.Max(0, query.Offset),
        };
        return OnConnectionAsync(async (tx, ct) =>
        {
            var total = await tx.ScalarAsync<int>(S(matching + "SELECT count(*)::int FROM l"), args, ct);
            var items = await tx.ReadAsync(S(matching + "SELECT " + PostgresRows.RunDataColumns + " FROM l d ORDER BY " + order + " LIMIT @limit OFFSET @offset"), args, PostgresRows.RunData, ct);
            return new Page<RunDataEntry>(items, total);
        }, cancellationToken);
    }

    /// <summary>Our glob (<c>*</c>, <c>?</c>; all else literal) as a LIKE pattern with <c>\</c> escaping LIKE's own wildcards.</summary>
    private static string LikePattern(string glob)
    {
        var sb = new System.Text.StringBuilder(glob.Length + 8);
        foreach (var c in glob)
        {
            switch (c)
            {
                case '*': sb.Append('%'); break;
                case '?': sb.Append('_'); break;
                case '%' or '_' or '\\': sb.Append('\\').Append(c); break;
                default: sb.Append(c); break;
            }
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EngineEvent>> ReadEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(PostgresEventSql.EventsAfter),
            new { afterSequence, limit = Math.Max(0, limit), orgId }, PostgresRows.Event, ct), cancellationToken);

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT 1";
            return Equals(await cmd.ExecuteScalarAsync(cancellationToken), 1);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return false;
        }
    }
}
