using System.Collections.Concurrent;
using Orchestration.Engine;
using Orchestration.Execution;

namespace Orchestration.Core.Tests.Runtime;

/// <summary>Shared, thread-safe record of what handlers saw; registered as a singleton.</summary>
internal sealed class Probe(Storage.WorkSignal changed)
{
    /// <summary>Wakes waiters of <see cref="ObservedStore.WaitUntilAsync"/>: handler-side events are not store writes.</summary>
    public void Notify() => changed.Notify();

    private int _running;
    private int _maxRunning;

    public ConcurrentQueue<string> Started { get; } = new();
    public ConcurrentQueue<(string Name, int Attempt)> Attempts { get; } = new();
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource<string> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public ConcurrentQueue<Guid> Scopes { get; } = new();
    public ConcurrentQueue<Domain.TaskRun> Claimed { get; } = new();
    public int MaxRunning => Volatile.Read(ref _maxRunning);
    public int Running => Volatile.Read(ref _running);

    public void Enter()
    {
        var now = Interlocked.Increment(ref _running);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, now, seen) != seen)
        {
        }
    }

    public void Leave() => Interlocked.Decrement(ref _running);
}

internal sealed record Greeting(string Name);

internal sealed record GreetingResult(string Message, int Attempt);

internal sealed class GreetHandler(Probe probe) : ITaskHandler<Greeting, GreetingResult>
{
    public Task<GreetingResult> HandleAsync(Greeting input, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Started.Enqueue(context.Task.Name);
        probe.Notify();
        return Task.FromResult(new GreetingResult($"hello {input.Name}", context.Attempt));
    }
}

internal sealed class RecordHandler(Probe probe) : ITaskHandler<object>
{
    public Task HandleAsync(object input, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Started.Enqueue(context.Task.Name);
        probe.Notify();
        return Task.CompletedTask;
    }
}

/// <summary>Fails its first attempt, succeeds afterwards.</summary>
internal sealed class FlakyHandler(Probe probe) : ITaskHandler<object>
{
    public Task HandleAsync(object input, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Attempts.Enqueue((context.Task.Name, context.Attempt));
        probe.Notify();
        return context.Attempt == 1 ? throw new InvalidOperationException("transient") : Task.CompletedTask;
    }
}

internal sealed class PermanentFailureHandler(Probe probe) : ITaskHandler<object>
{
    public Task HandleAsync(object input, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Attempts.Enqueue((context.Task.Name, context.Attempt));
        probe.Notify();
        throw new TaskFailedException("bad input", retryable: false);
    }
}

/// <summary>Blocks until the probe's gate opens or its token fires; reports which.</summary>
internal sealed class BlockingHandler(Probe probe) : ITaskHandler<object>
{
    public async Task HandleAsync(object input, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Enter();
        probe.Claimed.Enqueue(context.Task);
        probe.Notify();
        probe.Started.Enqueue(context.Task.Name);
        probe.Notify();
        try
        {
            await probe.Gate.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            probe.Cancelled.TrySetResult(context.Task.Name);
            throw;
        }
        finally
        {
            probe.Leave();
        }
    }
}

/// <summary>Notes when its token fires but keeps running until the probe's gate opens, as a handler stuck in a call
/// that takes no token would.</summary>
internal sealed class DeafHandler(Probe probe) : ITaskHandler<object>
{
    public async Task HandleAsync(object input, TaskContext context, CancellationToken cancellationToken)
    {
        using var noted = cancellationToken.Register(() =>
        {
            probe.Cancelled.TrySetResult(context.Task.Name);
            probe.Notify();
        });
        probe.Started.Enqueue(context.Task.Name);
        probe.Notify();
        await probe.Gate.Task;
    }
}

internal sealed class ScopedThing
{
    public Guid Id { get; } = Guid.NewGuid();
}

internal sealed class ScopeHandler(Probe probe, ScopedThing thing) : ITaskHandler<object>
{
    public Task HandleAsync(object input, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Scopes.Enqueue(thing.Id);
        probe.Notify();
        return context.Attempt == 1 ? throw new InvalidOperationException("again") : Task.CompletedTask;
    }
}

/// <summary>Adds a child that depends on it and leaves a value in run data for the child.</summary>
internal sealed class ParentHandler : ITaskHandler<object>
{
    public async Task HandleAsync(object input, TaskContext context, CancellationToken cancellationToken)
    {
        await context.PutDataAsync("greeting", "from parent", ["handoff"], cancellationToken);
        await context.AddChildTaskAsync(new TaskSpec { Name = "child", Type = "child", DependsOn = [context.Task.Name] }, cancellationToken);
    }
}

internal sealed class ChildHandler : ITaskHandler<object, string>
{
    public async Task<string> HandleAsync(object input, TaskContext context, CancellationToken cancellationToken) =>
        await context.GetDataAsync<string>("greeting", cancellationToken) ?? "nothing";
}

/// <summary>Takes one second of (fake) time per task: far longer than the read-ahead window.</summary>
internal sealed class SlowHandler(Probe probe, TimeProvider time) : ITaskHandler<object>
{
    public Task HandleAsync(object input, TaskContext context, CancellationToken cancellationToken)
    {
        ((Microsoft.Extensions.Time.Testing.FakeTimeProvider)time).Advance(TimeSpan.FromSeconds(1));
        probe.Started.Enqueue(context.Task.Name);
        probe.Notify();
        return Task.CompletedTask;
    }
}
