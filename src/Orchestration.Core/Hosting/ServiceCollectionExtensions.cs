using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Hosting;

/// <summary>Entry points for embedding Orchestration.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine, the chosen store, the executor front (<see cref="IExecutorFront"/>), the in-process worker and the maintenance loop. Options are validated when the
    /// host starts; a missing store or a bad setting stops start-up with a message that says what to fix.
    /// </summary>
    public static OrchestrationBuilder AddOrchestration(this IServiceCollection services, Action<OrchestrationOptions> configure)
    {
        var options = new OrchestrationOptions();
        configure(options);
        if (options.StoreRegistration is null)
            throw new InvalidOperationException("Orchestration: no store configured. Call o.UseInMemory(), o.UseSqlite(...) or o.UsePostgres(...) inside AddOrchestration.");
        var problem = options.Engine.Validate() ?? options.Worker.Validate() ?? options.Maintenance.Validate() ?? options.Retention.Validate();
        if (problem is not null) throw new InvalidOperationException(problem);
        IReadOnlyList<string> searchFields;
        try
        {
            searchFields = SearchFields.Validate(options.SearchableInputFields ?? []);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }

        services.TryAddSingleton(TimeProvider.System);
        options.StoreRegistration(services);
        services.AddSingleton(options);
        services.AddSingleton(Options.Create(options.Engine));
        services.AddSingleton(options.Worker);
        services.AddSingleton(options.Maintenance);
        services.TryAddSingleton<ILeaderElector, AlwaysLeader>();
        services.TryAddSingleton<IOrchestrationClient, OrchestrationClient>();
        services.TryAddSingleton<IExecutorFront, ExecutorFront>();
        services.AddSingleton<ExecutorRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<ExecutorRuntime>());
        services.AddHostedService<MaintenanceService>();
        // Every store of this repository keeps schedules; with one that does not (a decorated store), the host still starts
        // and only creating a schedule fails.
        services.TryAddSingleton<IScheduleStore>(sp => sp.GetRequiredService<IOrchestrationStore>() as IScheduleStore ?? new NoScheduleStore());
        services.TryAddSingleton<ScheduleSignal>();
        services.TryAddSingleton<IStoreBackedClient>(sp => sp.GetRequiredService<IOrchestrationClient>() as IStoreBackedClient
            ?? new OrchestrationClient(sp.GetRequiredService<IOrchestrationStore>(), sp.GetRequiredService<IOrchestrationQueries>(),
                sp.GetRequiredService<IOptions<EngineOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IScheduleClient, ScheduleClient>();
        services.TryAddSingleton<ScheduleFiring>();
        services.AddHostedService<ScheduleFiringService>();
        services.AddSingleton(options.Retention);
        services.AddHostedService<RetentionService>();
        services.AddSingleton(new SearchIndexService.Declared(searchFields));
        services.AddHostedService<SearchIndexService>();
        services.AddSingleton<OrchestrationMarker>();
        return new OrchestrationBuilder(services);
    }

    /// <summary>Uses the in-memory reference store: fast, nothing survives the process. For tests and demos.</summary>
    public static OrchestrationOptions UseInMemory(this OrchestrationOptions options) => options.UseInMemory(_ => { });

    /// <summary>
    /// Uses the in-memory reference store with settings, e.g. how many finished runs it keeps
    /// (<see cref="InMemoryStoreOptions.MaxFinishedRuns"/>).
    /// </summary>
    public static OrchestrationOptions UseInMemory(this OrchestrationOptions options, Action<InMemoryStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var storeOptions = new InMemoryStoreOptions();
        configure(storeOptions);
        if (storeOptions.Validate() is { } problem) throw new InvalidOperationException(problem);
        return options.UseStore("inmemory", services =>
        {
            services.AddSingleton(sp => new InMemoryStore(sp.GetRequiredService<TimeProvider>(), storeOptions));
            services.AddSingleton<IOrchestrationStore>(sp => sp.GetRequiredService<InMemoryStore>());
            services.AddSingleton<IOrchestrationQueries>(sp => sp.GetRequiredService<InMemoryStore>());
            services.AddSingleton<IIdentityStore>(sp => sp.GetRequiredService<InMemoryStore>());
            services.AddSingleton<IExecutorRegistry>(sp => sp.GetRequiredService<InMemoryStore>());
            services.AddSingleton<IWebhookStore>(sp => sp.GetRequiredService<InMemoryStore>());
            services.AddSingleton<IRetentionStore>(sp => sp.GetRequiredService<InMemoryStore>());
            services.AddSingleton<IDefinitionStore>(sp => sp.GetRequiredService<InMemoryStore>());
            services.AddSingleton<IRunSearchIndex>(sp => sp.GetRequiredService<InMemoryStore>());
        });
    }
}

/// <summary>Present in the container once <c>AddOrchestration</c> ran; HTTP layers check for it to fail fast with a clear message.</summary>
public sealed class OrchestrationMarker;
