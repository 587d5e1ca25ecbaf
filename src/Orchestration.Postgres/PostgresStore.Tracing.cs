using Orchestration.Storage;

namespace Orchestration.Postgres;

// Trace context kept with runs (migration 0019): written in the enqueue's transaction by a second statement sent only
// when some run was created inside a trace, so the enqueue of all others is unchanged; read once per claimed batch.
public sealed partial class PostgresStore
{
    private const string SetRunTracesSql = """
        UPDATE {s}.runs r SET trace_parent = u.parent, trace_state = u.state
        FROM unnest(@ids::uuid[], @parents::text[], @states::text[]) AS u(id, parent, state) WHERE r.id = u.id
        """;

    private const string RunTracesSql = "SELECT id, trace_parent, trace_state FROM {s}.runs WHERE id = ANY(@ids) AND trace_parent IS NOT NULL";

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<Guid, RunTraceContext>> GetRunTraceContextsAsync(IReadOnlyList<Guid> runIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        if (runIds.Count == 0) return new Dictionary<Guid, RunTraceContext>();
        var ids = runIds.ToArray();
        var rows = await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(RunTracesSql), new { ids },
            r => (Id: r.GetGuid(0), Context: new RunTraceContext(r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2))), ct), cancellationToken);
        return rows.ToDictionary(t => t.Id, t => t.Context);
    }

    // Only rows this call inserted carry the run ids it chose, so a duplicate (idempotency key, unique rule) that
    // returned an older run writes nothing to it.
    private Task SetTraceContextsAsync(PgTx tx, IReadOnlyList<CreateRunParams> runs, CancellationToken ct)
    {
        List<CreateRunParams>? traced = null;
        foreach (var run in runs)
            if (run.TraceParent is not null) (traced ??= []).Add(run);
        return traced is null
            ? Task.CompletedTask
            : tx.ExecAsync(S(SetRunTracesSql), new
            {
                ids = traced.Select(r => r.RunId).ToArray(),
                parents = traced.Select(r => r.TraceParent!).ToArray(),
                states = traced.Select(r => r.TraceState).ToArray(),
            }, ct);
    }
}
