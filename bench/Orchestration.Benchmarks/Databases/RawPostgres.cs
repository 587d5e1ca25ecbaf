using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace Orchestration.Benchmarks.Databases;

/// <summary>
/// The database's own limit for a fenced work queue, without our engine: claim 100 rows with
/// <c>FOR UPDATE SKIP LOCKED</c> (one statement, one commit), then complete them by id and lease token (one statement,
/// one commit), in parallel loops until the table is drained. The table has the columns a real queue needs.
/// </summary>
internal static class RawPostgres
{
    public const int Batch = 100;

    private const string Schema = """
        CREATE TABLE raw_tasks (
            id bigint PRIMARY KEY,
            status smallint NOT NULL,
            priority int NOT NULL DEFAULT 0,
            lease_token uuid,
            locked_by text,
            payload text,
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            completed_at timestamptz);
        CREATE INDEX raw_tasks_ready ON raw_tasks (priority DESC, id) WHERE status = 0;
        """;

    private const string Claim = """
        UPDATE raw_tasks t SET status = 1, lease_token = gen_random_uuid(), locked_by = $1, started_at = now()
        FROM (SELECT id FROM raw_tasks WHERE status = 0 ORDER BY priority DESC, id LIMIT 100 FOR UPDATE SKIP LOCKED) c
        WHERE t.id = c.id
        RETURNING t.id, t.lease_token
        """;

    private const string Complete = """
        UPDATE raw_tasks t SET status = 2, completed_at = now()
        FROM unnest($1::bigint[], $2::uuid[]) AS c(id, token)
        WHERE t.id = c.id AND t.lease_token = c.token AND t.status = 1
        """;

    /// <summary>Creates the table and COPYs <paramref name="rows"/> rows into it; returns the COPY time.</summary>
    public static async Task<TimeSpan> FillAsync(string connectionString, int rows, CancellationToken cancellationToken)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(cancellationToken);
        await using (var drop = new NpgsqlCommand("DROP TABLE IF EXISTS raw_tasks", conn)) await drop.ExecuteNonQueryAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(Schema, conn)) await create.ExecuteNonQueryAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        await using (var copy = await conn.BeginBinaryImportAsync("COPY raw_tasks (id, status, payload) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (long i = 1; i <= rows; i++)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(i, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync((short)0, NpgsqlDbType.Smallint, cancellationToken);
                await copy.WriteAsync("{}", NpgsqlDbType.Text, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        var elapsed = clock.Elapsed;
        await using (var analyze = new NpgsqlCommand("ANALYZE raw_tasks", conn)) await analyze.ExecuteNonQueryAsync(cancellationToken);
        return elapsed;
    }

    /// <summary>Drains the table with <paramref name="loops"/> connections; returns the elapsed time and rows completed.</summary>
    public static async Task<(TimeSpan Elapsed, long Completed)> DrainAsync(string connectionString, int loops, CancellationToken cancellationToken)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, loops).Select(i => LoopAsync(connectionString, "raw-" + i, ready.Task, cancellationToken)).ToArray();
        // Connections are opened and statements prepared before the clock starts.
        await Task.Delay(200, cancellationToken);
        var clock = Stopwatch.StartNew();
        ready.SetResult();
        var counts = await Task.WhenAll(workers);
        return (clock.Elapsed, counts.Sum());
    }

    private static async Task<long> LoopAsync(string connectionString, string name, Task go, CancellationToken cancellationToken)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(cancellationToken);
        await using var claim = new NpgsqlCommand(Claim, conn);
        claim.Parameters.Add(new NpgsqlParameter { Value = name });
        await claim.PrepareAsync(cancellationToken);
        await using var complete = new NpgsqlCommand(Complete, conn);
        var idsParam = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };
        var tokensParam = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid };
        complete.Parameters.Add(idsParam);
        complete.Parameters.Add(tokensParam);
        await complete.PrepareAsync(cancellationToken);
        await go;

        long done = 0;
        var ids = new List<long>(Batch);
        var tokens = new List<Guid>(Batch);
        while (true)
        {
            ids.Clear();
            tokens.Clear();
            await using (var reader = await claim.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    ids.Add(reader.GetInt64(0));
                    tokens.Add(reader.GetGuid(1));
                }
            }

            if (ids.Count == 0) return done;
            idsParam.Value = ids.ToArray();
            tokensParam.Value = tokens.ToArray();
            done += await complete.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
