using Orchestration.Storage;
using static Orchestration.Sqlite.SqliteValues;

namespace Orchestration.Sqlite;

// Trace context kept with runs (migration 0018): written by a second statement only for runs created inside a trace,
// so the insert of every other run is unchanged, and read in one statement per claimed batch.
public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public Task<IReadOnlyDictionary<Guid, RunTraceContext>> GetRunTraceContextsAsync(IReadOnlyList<Guid> runIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        if (runIds.Count == 0) return Task.FromResult<IReadOnlyDictionary<Guid, RunTraceContext>>(new Dictionary<Guid, RunTraceContext>());
        var ids = new JsonRows();
        foreach (var id in runIds) ids.Value(id);
        return ReadAsync<IReadOnlyDictionary<Guid, RunTraceContext>>(db =>
            db.Query(TraceSql.RunTracesByIds, r => (Id: Id(r, 0), Context: new RunTraceContext(r.GetString(1), StringOrNull(r, 2))), ids.Build())
                .ToDictionary(t => t.Id, t => t.Context), cancellationToken);
    }
}

internal static class TraceSql
{
    public const string SetRunTrace = "UPDATE runs SET trace_parent = $parent, trace_state = $state WHERE id = $id";

    public const string RunTracesByIds =
        "SELECT id, trace_parent, trace_state FROM runs WHERE id IN (SELECT value FROM json_each($ids)) AND trace_parent IS NOT NULL";
}
