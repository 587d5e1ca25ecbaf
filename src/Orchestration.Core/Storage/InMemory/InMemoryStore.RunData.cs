using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Run data writes.
public sealed partial class InMemoryStore
{
    /// <inheritdoc />
    public Task<RunDataEntry?> PutRunDataAsync(PutRunDataParams parameters, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!TryGetRun(parameters.OrgId, parameters.RunId, out var run)) return Task.FromResult<RunDataEntry?>(null);
            var entry = parameters.ToEntry(_time.GetUtcNow());
            run.Data.Add(entry);
            return Task.FromResult<RunDataEntry?>(entry);
        }
    }

    /// <inheritdoc />
    public Task<int> DeleteRunDataAsync(DeleteRunDataParams parameters, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!TryGetRun(parameters.OrgId, parameters.RunId, out var run)) return Task.FromResult(0);
            var removed = run.Data.RemoveAll(e =>
                (parameters.Key is not null && string.Equals(e.Key, parameters.Key, StringComparison.Ordinal))
                || (parameters.EntryId is not null && e.Id == parameters.EntryId));
            return Task.FromResult(removed);
        }
    }

    /// <inheritdoc />
    public Task<RunDataEntry?> ChangeRunDataTagsAsync(ChangeRunDataTagsParams parameters, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!TryGetRun(parameters.OrgId, parameters.RunId, out var run)) return Task.FromResult<RunDataEntry?>(null);
            var index = run.Data.FindIndex(e => e.Id == parameters.EntryId);
            if (index < 0) return Task.FromResult<RunDataEntry?>(null);
            var entry = run.Data[index];
            var tags = parameters.Apply(entry.Tags);
            entry = entry with { Tags = tags, UpdatedAt = _time.GetUtcNow() };
            run.Data[index] = entry;
            return Task.FromResult<RunDataEntry?>(entry);
        }
    }
}
