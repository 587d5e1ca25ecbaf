using System.Reflection;
using Npgsql;

namespace Orchestration.Postgres;

// Applies the embedded Migrations/NNNN_name.sql files in order, each in its own transaction, under a session advisory
// lock so that hosts starting together wait for each other instead of racing on CREATE TABLE.
internal static class PostgresMigrator
{
    // upTo stops after that version: tests write a database as an earlier version left it, then upgrade it.
    public static async Task MigrateAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken, int upTo = int.MaxValue)
    {
        var quoted = PgNames.Quote(schema);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        var lockKey = PgNames.LockKey(schema, "migrate");
        await using (var cmd = new NpgsqlCommand("SELECT pg_advisory_lock($1)", conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = lockKey });
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await ExecAsync(conn, null, $"CREATE SCHEMA IF NOT EXISTS {quoted}; CREATE TABLE IF NOT EXISTS {quoted}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken);
            var applied = new HashSet<int>();
            await using (var cmd = new NpgsqlCommand($"SELECT version FROM {quoted}.schema_migrations", conn))
            await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetInt32(0));
            }

            foreach (var (version, name, sql) in Load())
            {
                if (applied.Contains(version) || version > upTo) continue;
                await using var tx = await conn.BeginTransactionAsync(cancellationToken);
                await ExecAsync(conn, tx, sql.Replace("{s}", quoted, StringComparison.Ordinal), cancellationToken);
                await using (var cmd = new NpgsqlCommand($"INSERT INTO {quoted}.schema_migrations (version, name) VALUES ($1, $2)", conn, tx))
                {
                    cmd.Parameters.Add(new NpgsqlParameter { Value = version });
                    cmd.Parameters.Add(new NpgsqlParameter { Value = name });
                    await cmd.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", conn);
            unlock.Parameters.Add(new NpgsqlParameter { Value = lockKey });
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>The embedded migrations, ordered by version.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Load()
    {
        var assembly = typeof(PostgresMigrator).Assembly;
        var list = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            const string marker = ".Migrations.";
            var at = resource.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0 || !resource.EndsWith(".sql", StringComparison.Ordinal)) continue;
            var file = resource[(at + marker.Length)..^4];
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file[..underscore], out var version)) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add((version, file, reader.ReadToEnd()));
        }

        return list.OrderBy(m => m.Item1).ToList();
    }

    private static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}

internal static class PgNames
{
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    // Stable across processes and .NET versions (string.GetHashCode is randomised per process), so every host
    // derives the same advisory lock key for the same schema.
    public static long LockKey(string schema, string purpose)
    {
        const ulong offset = 14695981039346656037, prime = 1099511628211;
        var hash = offset;
        foreach (var ch in "orchestration:" + purpose + ":" + schema)
        {
            hash ^= ch;
            hash *= prime;
        }

        return unchecked((long)hash);
    }
}
