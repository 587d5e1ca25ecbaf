using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestration.Engine;
using Orchestration.Hosting;

namespace Orchestration.Benchmarks.Engine;

/// <summary>
/// A host of our engine configured exactly as a user would (<c>AddOrchestration</c>, <c>AddTaskHandler</c>), with the
/// store wrapped by <see cref="InstrumentedStore"/>. Engine settings stay at their defaults unless a scenario says why.
/// </summary>
internal sealed class EngineHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _started;

    private EngineHost(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<IOrchestrationClient>();
        Store = host.Services.GetRequiredService<InstrumentedStore>();
    }

    public IOrchestrationClient Client { get; }
    public InstrumentedStore Store { get; }
    public IServiceProvider Services => _host.Services;

    public static Task<string?> NoOutput { get; } = Task.FromResult<string?>(null);

    public static EngineHost Build(Action<OrchestrationOptions> store, Action<OrchestrationBuilder>? handlers, Action<OrchestrationOptions>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        var orchestration = builder.Services.AddOrchestration(o =>
        {
            store(o);
            // What the run search index costs when fields are declared (docs/performance.md, run search).
            if (Environment.GetEnvironmentVariable("ORCHESTRATION_BENCH_SEARCH_FIELDS") is { Length: > 0 } fields)
                o.SearchableInputFields = fields.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            configure?.Invoke(o);
        });
        handlers?.Invoke(orchestration);
        InstrumentedStore.Decorate(builder.Services);
        return new EngineHost(builder.Build());
    }

    /// <summary>A host that only enqueues: no worker, no maintenance, so nothing is consumed while it writes.</summary>
    public static EngineHost BuildClientOnly(Action<OrchestrationOptions> store) =>
        Build(store, null, o =>
        {
            o.Worker.Enabled = false;
            o.Maintenance.Enabled = false;
        });

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _host.StartAsync(cancellationToken);
        _started = true;
    }

    public async Task StopAsync()
    {
        if (!_started) return;
        _started = false;
        await _host.StopAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_host is IAsyncDisposable d) await d.DisposeAsync();
        else _host.Dispose();
    }
}
