using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Orchestration.Benchmarks.Databases;

/// <summary>
/// SQLite's own limit for the same fenced queue as <see cref="RawPostgres"/>: one connection (SQLite has one writer),
/// WAL, synchronous=NORMAL; claim 100 with UPDATE … RETURNING (one transaction), complete 100 by id and token (one
/// transaction).
/// </summary>
internal static class RawSqlite
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        CREATE TABLE raw_tasks (
            id INTEGER PRIMARY KEY,
            status INTEGER NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            lease_token BLOB,
            payload TEXT,
            started_at TEXT,
            completed_at TEXT);
        CREATE INDEX raw_tasks_ready ON raw_tasks (priority DESC, id) WHERE status = 0;
        """;

    public static async Task<(TimeSpan Insert, TimeSpan Drain, long Completed)> MeasureAsync(string path, int rows, CancellationToken cancellationToken)
    {
        await using var conn = new SqliteConnection($"Data Source={path};Pooling=False");
        await conn.OpenAsync(cancellationToken);
        await using (var create = conn.CreateCommand())
        {
            create.CommandText = Schema;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var clock = Stopwatch.StartNew();
        await using (var tx = (SqliteTransaction)await conn.BeginTransactionAsync(cancellationToken))
        {
            await using var insert = conn.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO raw_tasks (id, status, payload) VALUES ($id, 0, '{}')";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            insert.Prepare();
            for (long i = 1; i <= rows; i++)
            {
                id.Value = i;
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
        }

        var insertTime = clock.Elapsed;

        await using var claim = conn.CreateCommand();
        claim.CommandText = """
            UPDATE raw_tasks SET status = 1, lease_token = randomblob(16), started_at = $now
            WHERE id IN (SELECT id FROM raw_tasks WHERE status = 0 ORDER BY priority DESC, id LIMIT 100)
            RETURNING id, lease_token
            """;
        var claimNow = claim.Parameters.Add("$now", SqliteType.Text);
        claim.Prepare();
        await using var complete = conn.CreateCommand();
        complete.CommandText = "UPDATE raw_tasks SET status = 2, completed_at = $now WHERE id = $id AND lease_token = $token AND status = 1";
        var completeNow = complete.Parameters.Add("$now", SqliteType.Text);
        var completeId = complete.Parameters.Add("$id", SqliteType.Integer);
        var completeToken = complete.Parameters.Add("$token", SqliteType.Blob);
        complete.Prepare();

        long done = 0;
        var ids = new List<(long Id, byte[] Token)>(100);
        clock.Restart();
        while (true)
        {
            ids.Clear();
            claimNow.Value = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            await using (var reader = await claim.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken)) ids.Add((reader.GetInt64(0), (byte[])reader[1]));
            }

            if (ids.Count == 0) break;
            await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(cancellationToken);
            complete.Transaction = tx;
            completeNow.Value = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            foreach (var (rowId, token) in ids)
            {
                completeId.Value = rowId;
                completeToken.Value = token;
                done += await complete.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
        }

        return (insertTime, clock.Elapsed, done);
    }
}
