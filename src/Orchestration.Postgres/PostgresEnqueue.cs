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
    private static readonly AsyncLocal<NpgsqlTransaction?> Ambient = new();

    internal static NpgsqlTransaction? Current => Ambient.Value;

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
    public static async Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(this IOrchestrationClient client, IReadOnlyList<RunSpec> specs, NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var previous = Ambient.Value;
        Ambient.Value = transaction;
        try
        {
            return await client.CreateRunsAsync(specs, cancellationToken);
        }
        finally
        {
            Ambient.Value = previous;
        }
    }

    /// <summary>
    /// Lower-level form for callers that build <see cref="CreateRunParams"/> themselves: creates the runs with
    /// <paramref name="store"/> inside <paramref name="transaction"/>.
    /// </summary>
    public static async Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(this PostgresStore store, IReadOnlyList<CreateRunParams> runs, NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var previous = Ambient.Value;
        Ambient.Value = transaction;
        try
        {
            return await store.CreateRunsAsync(runs, cancellationToken);
        }
        finally
        {
            Ambient.Value = previous;
        }
    }

}
