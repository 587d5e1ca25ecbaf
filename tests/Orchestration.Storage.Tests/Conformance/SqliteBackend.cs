using Microsoft.Extensions.Time.Testing;
using Orchestration.Sqlite;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>A fresh SQLite database file per store, deleted (with its WAL and shared-memory files) on dispose.</summary>
public sealed class SqliteBackend : Backend
{
    public override string Name => "Sqlite";

    public override Task<StoreHandle> CreateAsync(FakeTimeProvider time) =>
        OpenAsync(Path.Combine(Path.GetTempPath(), $"orchestration-conformance-{Guid.NewGuid():N}.db"), time);

    private static async Task<StoreHandle> OpenAsync(string path, FakeTimeProvider time)
    {
        var store = new SqliteStore($"Data Source={path}", time);
        await store.InitializeAsync(CancellationToken.None);
        return new StoreHandle(store, store, store, () =>
        {
            store.Dispose();
            foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(path + suffix);
            return ValueTask.CompletedTask;
        })
        {
            Reopen = () =>
            {
                store.Dispose();
                return OpenAsync(path, time);
            },
        };
    }
}
