using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orchestration.Execution;

namespace Orchestration.Hosting;

/// <summary>Returned by <c>AddOrchestration</c> so handlers and extras can be chained.</summary>
public sealed class OrchestrationBuilder
{
    internal OrchestrationBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers <typeparamref name="THandler"/> for tasks of type <paramref name="type"/>. The handler implements
    /// <see cref="ITaskHandler{TInput}"/> or <see cref="ITaskHandler{TInput,TOutput}"/>; it is resolved from a fresh DI
    /// scope for every attempt. Registering the same type twice throws.
    /// </summary>
    public OrchestrationBuilder AddTaskHandler<THandler>(string type) where THandler : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        Services.TryAddScoped<THandler>();
        Services.AddSingleton(HandlerRegistration.For<THandler>(type));
        return this;
    }

    /// <summary>Registers a delegate handler for <paramref name="type"/> (input and output as raw JSON text).</summary>
    public OrchestrationBuilder AddTaskHandler(string type, Func<TaskContext, CancellationToken, Task<string?>> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        Services.AddSingleton(HandlerRegistration.ForDelegate(type, handler));
        return this;
    }
}
