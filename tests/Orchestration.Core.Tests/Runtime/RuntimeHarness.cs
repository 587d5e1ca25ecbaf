using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Hosting;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Runtime;

/// <summary>A real executor runtime over the in-memory store on a fake clock, started like a host would.</summary>
internal sealed class RuntimeHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;
    private bool _stopped;

    private RuntimeHarness(ServiceProvider services, ObservedStore store, FakeTimeProvider time)
    {
        _services = services;
        Store = store;
        Time = time;
        _hosted = services.GetServices<IHostedService>().ToList();
    }

    public ObservedStore Store { get; }
    public FakeTimeProvider Time { get; }
    public IOrchestrationClient Client => _services.GetRequiredService<IOrchestrationClient>();
    public IServiceProvider Services => _services;

    /// <summary>The messages the executor runtime logged so far, oldest first.</summary>
    public IReadOnlyList<string> RuntimeLog(LogLevel level) =>
        _services.GetFakeLogCollector().GetSnapshot()
            .Where(r => r.Level == level && r.Category == typeof(ExecutorRuntime).FullName)
            .Select(r => r.Message)
            .ToList();
    internal ExecutorRuntime Runtime => _services.GetRequiredService<ExecutorRuntime>();

    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <param name="handlers">Registers the handlers under test.</param>
    /// <param name="configure">Adjusts the options.</param>
    /// <param name="clock">A clock of the test's own (starting at <see cref="Start"/>) built around the store's change
    /// signal, e.g. one that reports when the runtime arms a timer.</param>
    public static async Task<RuntimeHarness> StartAsync(
        Action<OrchestrationBuilder> handlers,
        Action<OrchestrationOptions>? configure = null,
        Func<Storage.WorkSignal, FakeTimeProvider>? clock = null)
    {
        var changed = new Storage.WorkSignal();
        var time = clock?.Invoke(changed) ?? new FakeTimeProvider(Start);
        var store = new ObservedStore(new InMemoryStore(time), time, changed);
        var services = new ServiceCollection();
        // Every log record is kept, so tests can hold the runtime to what it tells operators.
        // A record wakes the tests' waits like a store write does: some of what they wait for is only logged.
        services.AddLogging(l => l.AddFakeLogging(o => o.OutputSink = _ => changed.Notify()));
        services.AddSingleton<TimeProvider>(time);
        var builder = services.AddOrchestration(o =>
        {
            o.UseStore("observed", s =>
            {
                s.AddSingleton<IOrchestrationStore>(store);
                s.AddSingleton<IOrchestrationQueries>(store.Inner);
                s.AddSingleton<IIdentityStore>(store.Inner);
            });
            o.Maintenance.Enabled = false;
            o.Engine.DefaultRetryPolicy = new Domain.RetryPolicy(3, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), 2, 0);
            configure?.Invoke(o);
        });
        services.AddSingleton(new Probe(store.Changed));
        handlers(builder);
        var harness = new RuntimeHarness(services.BuildServiceProvider(validateScopes: true), store, time);
        foreach (var h in harness._hosted) await h.StartAsync(CancellationToken.None);
        return harness;
    }

    public async Task<Guid> CreateRunAsync(params TaskSpec[] tasks) => (await Client.CreateRunAsync(new RunSpec { Tasks = tasks })).Run.Id;

    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        // The runtime's shutdown timeout runs on the fake clock; bound the wait in real time so a failed test
        // with a handler still blocked cannot hang the whole run.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        foreach (var h in Enumerable.Reverse(_hosted)) await h.StopAsync(bound.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
    }
}
