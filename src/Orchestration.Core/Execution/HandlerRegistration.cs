using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;

namespace Orchestration.Execution;

/// <summary>A handler bound to its task type: turns JSON input into a call and the result back into JSON.</summary>
public sealed class HandlerRegistration
{
    private HandlerRegistration(string type, Func<IServiceProvider, TaskContext, CancellationToken, Task<string?>> invoke, Func<TaskContext, CancellationToken, Task<string?>>? run = null)
    {
        Type = type;
        Invoke = invoke;
        Run = run ?? ((ctx, ct) => invoke(ctx.Services, ctx, ct));
    }

    /// <summary>The task type.</summary>
    public string Type { get; }

    /// <summary>Runs the handler inside the given scope.</summary>
    public Func<IServiceProvider, TaskContext, CancellationToken, Task<string?>> Invoke { get; }

    // What the in-process runtime calls: a delegate handler straight, so a context whose scope nobody asks for never
    // creates one; a typed handler through the context's scope, which it resolves the handler from.
    internal Func<TaskContext, CancellationToken, Task<string?>> Run { get; }

    internal static HandlerRegistration ForDelegate(string type, Func<TaskContext, CancellationToken, Task<string?>> handler) =>
        new(type, (_, ctx, ct) => handler(ctx, ct), handler);

    internal static HandlerRegistration For<THandler>(string type) where THandler : class
    {
        // Reflection runs once per registration; the delegate it builds is what runs per task.
        foreach (var iface in typeof(THandler).GetInterfaces())
        {
            if (!iface.IsGenericType) continue;
            var def = iface.GetGenericTypeDefinition();
            var args = iface.GetGenericArguments();
            MethodInfo? factory = null;
            if (def == typeof(ITaskHandler<,>))
                factory = typeof(HandlerRegistration).GetMethod(nameof(WithOutput), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(typeof(THandler), args[0], args[1]);
            else if (def == typeof(ITaskHandler<>))
                factory = typeof(HandlerRegistration).GetMethod(nameof(WithoutOutput), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(typeof(THandler), args[0]);
            if (factory is not null)
                return new HandlerRegistration(type, (Func<IServiceProvider, TaskContext, CancellationToken, Task<string?>>)factory.Invoke(null, null)!);
        }

        throw new InvalidOperationException($"{typeof(THandler).Name} implements neither ITaskHandler<TInput> nor ITaskHandler<TInput, TOutput>.");
    }

    private static Func<IServiceProvider, TaskContext, CancellationToken, Task<string?>> WithOutput<THandler, TIn, TOut>()
        where THandler : class, ITaskHandler<TIn, TOut> =>
        async (sp, ctx, ct) =>
        {
            var handler = sp.GetRequiredService<THandler>();
            var output = await handler.HandleAsync(ReadInput<TIn>(ctx), ctx, ct);
            return JsonSerializer.Serialize(output, JsonDefaults.Options);
        };

    private static Func<IServiceProvider, TaskContext, CancellationToken, Task<string?>> WithoutOutput<THandler, TIn>()
        where THandler : class, ITaskHandler<TIn> =>
        async (sp, ctx, ct) =>
        {
            var handler = sp.GetRequiredService<THandler>();
            await handler.HandleAsync(ReadInput<TIn>(ctx), ctx, ct);
            return null;
        };

    private static TIn ReadInput<TIn>(TaskContext ctx)
    {
        var json = ctx.Task.InputJson;
        try
        {
            return (json is null ? default : JsonSerializer.Deserialize<TIn>(json, JsonDefaults.Options))!;
        }
        catch (JsonException ex)
        {
            // Bad input will not get better on retry.
            throw new TaskFailedException($"input is not a valid {typeof(TIn).Name}: {ex.Message}", retryable: false);
        }
    }
}
