using System.Globalization;
using System.Reflection;

namespace Orchestration.Sqlite;

/// <summary>
/// Applies the embedded <c>Migrations/NNNN_name.sql</c> scripts in version order, each recorded in
/// <c>schema_migrations</c>. All pending scripts run in one <c>BEGIN IMMEDIATE</c> transaction and the applied version is
/// read inside it, so when two processes start together the second waits for the first and then finds nothing to do.
/// </summary>
internal static class SqliteMigrator
{
    private const string ResourcePrefix = "Orchestration.Sqlite.Migrations.";

    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; } = Load();

    public static int LatestVersion => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    /// <summary>Applies what is missing; returns how many scripts ran.</summary>
    public static int Apply(SqliteCommands db, TimeProvider time) => Apply(db, time, int.MaxValue);

    /// <summary>Applies what is missing up to <paramref name="maxVersion"/>: tests build a database as an earlier version wrote it.</summary>
    public static int Apply(SqliteCommands db, TimeProvider time, int maxVersion)
    {
        db.Exec("BEGIN IMMEDIATE");
        try
        {
            db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
            var current = Convert.ToInt32(db.Scalar("SELECT coalesce(max(version), 0) FROM schema_migrations"), CultureInfo.InvariantCulture);
            if (current > LatestVersion)
                throw new InvalidOperationException($"the database is at schema version {current}, newer than this version of Orchestration supports ({LatestVersion}); upgrade the package");
            var applied = 0;
            foreach (var (version, name, sql) in Migrations)
            {
                if (version <= current || version > maxVersion) continue;
                db.Exec(sql);
                db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($v, $n, $t)", version, name, time.GetUtcNow());
                applied++;
            }

            db.Exec("COMMIT");
            return applied;
        }
        catch
        {
            try
            {
                db.Exec("ROLLBACK");
            }
            catch (Microsoft.Data.Sqlite.SqliteException)
            {
                // Already rolled back by SQLite; report the original failure.
            }

            throw;
        }
    }

    private static List<(int, string, string)> Load()
    {
        var assembly = typeof(SqliteMigrator).Assembly;
        var list = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal)) continue;
            var name = resource[ResourcePrefix.Length..^4];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(name[..underscore], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                throw new InvalidOperationException($"Migration resource '{resource}' must be named NNNN_description.sql.");
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add((version, name, reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }
}
