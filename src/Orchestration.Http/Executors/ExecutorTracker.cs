using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orchestration.Storage;

namespace Orchestration.Http.Executors;

/// <summary>
/// Collects this host's executor calls (last call, completions, declared types and capacity) in memory and writes them
/// to the store's <see cref="IExecutorRegistry"/> in batches: an executor polling every second costs no write per poll,
/// and a completion adds no registry write to its request. <see cref="ExecutorRegistryWriter"/> flushes every second;
/// the admin views flush first, so this host's own calls are always visible to them.
/// </summary>
internal sealed class ExecutorTracker(IExecutorRegistry registry, TimeProvider time, IOptions<OrchestrationHttpOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<(string OrgId, string ExecutorId), Pending> _pending = new();
    private readonly SemaphoreSlim _flushGate = new(1, 1);

    public void Touch(string orgId, string executorId, IReadOnlyList<string>? types = null, int? capacity = null) =>
        Merge(orgId, executorId, new Pending(time.GetUtcNow(), 0, types, capacity));

    public void Completed(string orgId, string executorId) => Merge(orgId, executorId, new Pending(time.GetUtcNow(), 1, null, null));

    /// <summary>Writes what was collected since the last flush; on failure it is kept for the next one.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty) return;
        await _flushGate.WaitAsync(cancellationToken);
        try
        {
            var batch = new List<ExecutorActivity>();
            foreach (var key in _pending.Keys)
            {
                if (_pending.TryRemove(key, out var p)) batch.Add(new ExecutorActivity(key.OrgId, key.ExecutorId, p.SeenAt, p.Completed, p.Types, p.Capacity));
            }

            if (batch.Count == 0) return;
            try
            {
                await registry.RecordExecutorActivityAsync(batch, options.Value.Executors.MaxExecutorsPerOrg, cancellationToken);
            }
            catch
            {
                foreach (var a in batch) Merge(a.OrgId, a.ExecutorId, new Pending(a.SeenAt, a.Completed, a.Types, a.Capacity));
                throw;
            }
        }
        finally
        {
            _flushGate.Release();
        }
    }

    public void Dispose() => _flushGate.Dispose();

    private void Merge(string orgId, string executorId, Pending add) =>
        _pending.AddOrUpdate((orgId, executorId), add, (_, p) => new Pending(
            add.SeenAt > p.SeenAt ? add.SeenAt : p.SeenAt, p.Completed + add.Completed, add.Types ?? p.Types, add.Capacity ?? p.Capacity));

    private sealed record Pending(DateTimeOffset SeenAt, long Completed, IReadOnlyList<string>? Types, int? Capacity);
}
