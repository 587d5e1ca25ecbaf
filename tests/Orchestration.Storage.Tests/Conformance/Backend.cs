using Microsoft.Extensions.Time.Testing;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// One storage back end under test. Every conformance fixture runs once per entry of <see cref="Backends.All"/>;
/// differences between back ends are expressed through <see cref="IOrchestrationStore.Capabilities"/>, never by name.
/// </summary>
public abstract class Backend
{
    public abstract string Name { get; }

    /// <summary>
    /// A fresh, empty, isolated store whose clock is <paramref name="time"/> (SQL back ends included: tests move time
    /// with the fake clock, so lease expiry and retry delays must read it).
    /// </summary>
    public abstract Task<StoreHandle> CreateAsync(FakeTimeProvider time);

    public override string ToString() => Name;
}

public sealed class StoreHandle(IOrchestrationStore store, IOrchestrationQueries queries, IIdentityStore identity, Func<ValueTask>? dispose = null, IExecutorRegistry? executors = null, IWebhookStore? webhooks = null, IRetentionStore? retention = null, IDefinitionStore? definitions = null) : IAsyncDisposable
{
    /// <summary>
    /// Closes this store object, keeping its data, and opens a new one on the same data (a host restart). A back end
    /// that keeps nothing beyond the process (in memory) sets none: its "restart" is the same object.
    /// </summary>
    public Func<Task<StoreHandle>>? Reopen { get; init; }

    public IOrchestrationStore Store { get; } = store;
    public IOrchestrationQueries Queries { get; } = queries;
    public IIdentityStore Identity { get; } = identity;
    // Every back end's store class also keeps the executor registry; a wrapped store passes it separately.
    public IExecutorRegistry Executors { get; } = executors ?? (IExecutorRegistry)store;
    public IWebhookStore Webhooks { get; } = webhooks ?? (IWebhookStore)store;
    // Schedule operations take their times as arguments; a wrapped store passes the real one.
    public IScheduleStore Schedules => SchedulesOverride ?? (IScheduleStore)Store;
    public IScheduleStore? SchedulesOverride { get; init; }
    public IRetentionStore Retention { get; } = retention ?? (IRetentionStore)store;
    // A wrapped store's webhook store is the unwrapped one, which keeps the definitions too.
    public IDefinitionStore Definitions { get; } = definitions ?? store as IDefinitionStore ?? (IDefinitionStore)webhooks!;

    // The search index of a wrapped store is the unwrapped one.
    public IRunSearchIndex SearchIndex => SearchIndexOverride ?? (IRunSearchIndex)Store;
    public IRunSearchIndex? SearchIndexOverride { get; init; }

    public ValueTask DisposeAsync() => dispose?.Invoke() ?? ValueTask.CompletedTask;
}

public static class Backends
{
    // Each back end adds itself here.
    public static IEnumerable<Backend> All()
    {
        yield return new InMemoryBackend();
        yield return new SqliteBackend();
        yield return new PostgresBackend();
        yield return new PostgresDatabaseClockBackend();
    }
}

public sealed class InMemoryBackend : Backend
{
    public override string Name => "InMemory";

    public override Task<StoreHandle> CreateAsync(FakeTimeProvider time)
    {
        var store = new Storage.InMemory.InMemoryStore(time);
        return Task.FromResult(new StoreHandle(store, store, store, () =>
        {
            store.Dispose();
            return ValueTask.CompletedTask;
        }));
    }
}
