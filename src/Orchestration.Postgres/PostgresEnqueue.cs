using Npgsql;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Postgres;

/// <summary>
/// Transactional enqueue: create runs inside the caller's own <see cref="NpgsqlTransaction"/>, so a run exists only if
/// the caller commits (and other hosts are woken by NOTIFY exactly then). The transaction must be on the database the
/// store uses; the engine validates the spec as for any create.
/// </summary>
public static class PostgresEnqueue
{
    /// <summary>
    /// Creates one run in <paramref name="transaction"/>. Nothing is visible to workers until the caller commits; a
    /// rollback leaves no trace. Requires the Postgres store.
    /// </summary>
    public static async Task<CreateRunResult> CreateRunAsync(this IOrchestrationClient client, RunSpec spec, NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        var results = await client.CreateRunsAsync([spec], transaction, cancellationToken);
        return results[0];
    }

    /// <summary>Creates several runs in <paramref name="transaction"/> (one statement). See <see cref="CreateRunAsync"/>.</summary>
    public static Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(this IOrchestrationClient client, IReadOnlyList<RunSpec> specs, NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (client is not IStoreBackedClient { Store: PostgresStore store } engine)
            throw new InvalidOperationException("Orchestration: enqueue in a caller's transaction needs the engine client over the Postgres store.");
        return store.CreateRunsAsync(engine.PrepareRuns(specs), transaction, cancellationToken);
    }
}
