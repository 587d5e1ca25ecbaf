namespace Orchestration.Storage.InMemory;

// Trace context kept with runs: the context each run was created with, looked up for the runs of claimed tasks.
public sealed partial class InMemoryStore
{
    /// <inheritdoc />
    public Task<IReadOnlyDictionary<Guid, RunTraceContext>> GetRunTraceContextsAsync(IReadOnlyList<Guid> runIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        var found = new Dictionary<Guid, RunTraceContext>();
        lock (_gate)
        {
            foreach (var id in runIds)
                if (_runs.TryGetValue(id, out var run) && run.Trace is { } trace) found[id] = trace;
        }

        return Task.FromResult<IReadOnlyDictionary<Guid, RunTraceContext>>(found);
    }
}
