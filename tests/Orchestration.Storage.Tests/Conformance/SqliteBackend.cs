using Microsoft.Extensions.Time.Testing;
using Orchestration.Sqlite;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>A fresh SQLite database file per store, deleted (with its WAL and shared-memory files) on dispose.</summary>
public sealed class SqliteBackend : Backend
{
    public override string Name => "Sqlite";

    public override async Task<StoreHandle> CreateAsync(FakeTimeProvider time)
    {
        var path = Path.Combine(Path.GetTempPath(), $"orchestration-conformance-{Guid.NewGuid():N}.db");
        var store = new SqliteStore($"Data Source={path}", time);
        await store.InitializeAsync(CancellationToken.None);
        return new StoreHandle(store, store, store, () =>
        {
            store.Dispose();
            foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(path + suffix);
            return ValueTask.CompletedTask;
        });
    }
}
