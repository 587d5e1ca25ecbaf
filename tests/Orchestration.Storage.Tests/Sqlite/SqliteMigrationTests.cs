using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Sqlite;

namespace Orchestration.Storage.Tests.Sqlite;

public sealed class SqliteMigrationTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Test]
    public async Task Initialize_FourStoresOpenNewFileConcurrently_EachMigrationAppliedOnce()
    {
        using var db = new TempDatabase();
        var stores = Enumerable.Range(0, 4).Select(_ => new SqliteStore(db.ConnectionString, _time)).ToList();
        try
        {
            using var start = new ManualResetEventSlim();
            var opens = stores.Select(s => Task.Run(async () =>
            {
                start.Wait();
                await s.InitializeAsync(CancellationToken.None);
            })).ToList();
            start.Set();
            await Task.WhenAll(opens);

            var versions = ReadVersions(db.ConnectionString);
            Assert.That(versions, Is.EqualTo(MigrationFileVersions()));
            foreach (var s in stores) Assert.That(await s.PingAsync(CancellationToken.None), Is.True);
        }
        finally
        {
            foreach (var s in stores) s.Dispose();
        }
    }

    [Test]
    public async Task Initialize_ReopenedFile_NothingAppliedAgain()
    {
        using var db = new TempDatabase();
        using (var first = new SqliteStore(db.ConnectionString, _time)) await first.InitializeAsync(CancellationToken.None);
        var appliedAt = ReadAppliedAt(db.ConnectionString);

        _time.Advance(TimeSpan.FromHours(1));
        using (var second = new SqliteStore(db.ConnectionString, _time)) await second.InitializeAsync(CancellationToken.None);

        Assert.That(ReadAppliedAt(db.ConnectionString), Is.EqualTo(appliedAt));
        using var connection = new SqliteConnection(db.ConnectionString);
        connection.Open();
        using var commands = new SqliteCommands(connection, cache: false);
        Assert.That(SqliteMigrator.Apply(commands, _time), Is.Zero);
    }

    [Test]
    public async Task Initialize_NewFile_WalJournalAndAllTables()
    {
        using var db = new TempDatabase();
        using (var store = new SqliteStore(db.ConnectionString, _time)) await store.InitializeAsync(CancellationToken.None);

        using var connection = new SqliteConnection(db.ConnectionString + ";Pooling=False");
        connection.Open();
        using var commands = new SqliteCommands(connection, cache: false);
        Assert.That(commands.Scalar("PRAGMA journal_mode"), Is.EqualTo("wal"));
        var tables = commands.Query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", r => r.GetString(0));
        Assert.That(tables, Is.SupersetOf(new[] { "api_keys", "events", "orgs", "run_data", "runs", "schema_migrations", "task_attempts", "task_deps", "tasks" }));
    }

    // The expectation comes from the migration files in the source tree, not from the migrator's own list, so a file the
    // migrator fails to embed or pick up is caught.
    private static List<long> MigrationFileVersions()
    {
        var folder = Path.Combine(Orchestration.Testing.RepoPaths.Root, "src", "Orchestration.Sqlite", "Migrations");
        var versions = Directory.GetFiles(folder, "*.sql")
            .Select(f => long.Parse(Path.GetFileName(f).Split('_')[0], System.Globalization.CultureInfo.InvariantCulture))
            .Order()
            .ToList();
        Assert.That(versions, Is.Not.Empty);
        return versions;
    }

    private static List<long> ReadVersions(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString + ";Pooling=False");
        connection.Open();
        using var commands = new SqliteCommands(connection, cache: false);
        return commands.Query("SELECT version FROM schema_migrations ORDER BY version", r => r.GetInt64(0));
    }

    private static List<long> ReadAppliedAt(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString + ";Pooling=False");
        connection.Open();
        using var commands = new SqliteCommands(connection, cache: false);
        return commands.Query("SELECT applied_at FROM schema_migrations ORDER BY version", r => r.GetInt64(0));
    }
}
