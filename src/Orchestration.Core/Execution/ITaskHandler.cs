namespace Orchestration.Execution;

/// <summary>
/// Handles tasks of one type and produces no output. Resolved from a fresh DI scope per attempt. Throwing fails the
/// attempt (retried per policy); throw <see cref="TaskFailedException"/> with <c>retryable: false</c> to fail for good.
/// The token fires when the run is cancelled, the lease is lost, the task times out or the host shuts down.
/// </summary>
/// <typeparam name="TInput">The task input, deserialised from JSON with web defaults.</typeparam>
public interface ITaskHandler<in TInput>
{
    /// <summary>Does the work.</summary>
    Task HandleAsync(TInput input, TaskContext context, CancellationToken cancellationToken);
}

/// <summary>Handles tasks of one type and produces an output, stored as the task's JSON output. See <see cref="ITaskHandler{TInput}"/>.</summary>
/// <typeparam name="TInput">The task input.</typeparam>
/// <typeparam name="TOutput">The task output, serialised to JSON with web defaults.</typeparam>
public interface ITaskHandler<in TInput, TOutput>
{
    /// <summary>Does the work and returns its output.</summary>
    Task<TOutput> HandleAsync(TInput input, TaskContext context, CancellationToken cancellationToken);
}

/// <summary>Thrown by a handler to fail its attempt with a message, optionally for good.</summary>
public sealed class TaskFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Stored as the task's error message.</param>
    /// <param name="retryable">False fails the task now whatever attempts remain.</param>
    /// <param name="outputJson">Partial output to keep (for example captured stdout), as JSON text.</param>
    public TaskFailedException(string message, bool retryable = true, string? outputJson = null) : base(message)
    {
        Retryable = retryable;
        OutputJson = outputJson;
    }

    /// <summary>Creates a retryable failure.</summary>
    public TaskFailedException() : this("task failed") { }

    /// <summary>Creates a retryable failure.</summary>
    public TaskFailedException(string message, Exception innerException) : base(message, innerException) => Retryable = true;

    /// <summary>Whether another attempt may be made.</summary>
    public bool Retryable { get; }

    /// <summary>Partial output to keep.</summary>
    public string? OutputJson { get; }

    /// <summary>The exit code to store with the failure (routes may branch on it); null leaves the context's.</summary>
    public int? ExitCode { get; init; }
}
