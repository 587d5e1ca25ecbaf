using Microsoft.Extensions.Logging;
using Orchestration.Domain;

namespace Orchestration.Execution;

// A task's logger: each write that passes the level filter runs inside a scope naming the run, task and attempt. Built
// only when a handler asks for its logger, and the scope only when something is written, so a handler that logs
// nothing costs neither.
internal sealed class TaskLogger(ILogger inner, TaskRun task) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel)) return;
        using (inner.BeginScope(new TaskLogScope(task.RunId, task.Id, task.Attempt))) inner.Log(logLevel, eventId, state, exception, formatter);
    }
}

// Log scope of one attempt; a small fixed list rather than a dictionary per task.
internal sealed class TaskLogScope(Guid runId, Guid taskId, int attempt) : IReadOnlyList<KeyValuePair<string, object>>
{
    public int Count => 3;

    public KeyValuePair<string, object> this[int index] => index switch
    {
        0 => new("RunId", runId),
        1 => new("TaskId", taskId),
        2 => new("Attempt", attempt),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"RunId:{runId} TaskId:{taskId} Attempt:{attempt}";
}
