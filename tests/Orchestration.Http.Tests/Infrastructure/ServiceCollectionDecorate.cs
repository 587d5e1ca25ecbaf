using Microsoft.Extensions.DependencyInjection;

namespace Orchestration.Http.Tests.Infrastructure;

public static class ServiceCollectionDecorate
{
    /// <summary>Wraps the last registration of <typeparamref name="T"/>, whatever store registered it.</summary>
    public static void Decorate<T>(this IServiceCollection services, Func<T, T> wrap) where T : class
    {
        var original = services.Last(d => d.ServiceType == typeof(T));
        services.Remove(original);
        services.Add(ServiceDescriptor.Describe(typeof(T), sp => wrap((T)(original.ImplementationFactory?.Invoke(sp)
            ?? original.ImplementationInstance
            ?? ActivatorUtilities.CreateInstance(sp, original.ImplementationType!))), original.Lifetime));
    }
}
