using Orchestration.Storage;

namespace Orchestration.Postgres;

// Per-key concurrency limits (migration 0008, PostgresKeySql): the keys of new tasks, written in the enqueue's
// transaction by a second statement sent only when some task has one, so the enqueue of all others is unchanged.
public sealed partial class PostgresStore
{
    private Task SetLimitKeysAsync(PgTx tx, IReadOnlyList<CreateRunParams> runs, CancellationToken ct)
    {
        List<NewTask>? keyed = null;
        foreach (var run in runs)
            foreach (var t in run.Tasks)
                if (t.LimitKey is not null) (keyed ??= []).Add(t);
        return keyed is null ? Task.CompletedTask : SetLimitKeysAsync(tx, keyed, ct);
    }

    private Task SetLimitKeysAsync(PgTx tx, IReadOnlyList<NewTask> keyed, CancellationToken ct) =>
        tx.ExecAsync(S(PostgresKeySql.SetLimitKeysWithRatesSql), new
        {
            ids = keyed.Select(t => t.Id).ToArray(),
            keys = keyed.Select(t => t.LimitKey!).ToArray(),
            maxes = keyed.Select(t => t.LimitMaxRunning).ToArray(),
            rmaxes = keyed.Select(t => t.LimitMaxStarts).ToArray(),
            rwins = keyed.Select(t => t.LimitWindow is { } w ? (long)w.TotalMilliseconds : (long?)null).ToArray(),
        }, ct);
}
