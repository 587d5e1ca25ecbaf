using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;
using Orchestration.Hosting;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Benchmarks.Micro;

internal static class MicroClients
{
    /// <summary>The public client over a given in-memory store, without starting a host.</summary>
    public static IOrchestrationClient For(InMemoryStore store)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOrchestration(o => o.UseStore(Engine.StoreKinds.InMemory, s =>
        {
            s.AddSingleton<IOrchestrationStore>(store);
            s.AddSingleton<IOrchestrationQueries>(store);
            s.AddSingleton<IIdentityStore>(store);
        }));
        return services.BuildServiceProvider().GetRequiredService<IOrchestrationClient>();
    }
}
