using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Runs that start at a given time: their root tasks wait pending with a not-before time (tasks_scheduled), and a claim
// queues the due ones first. Hosts learn of scheduled times without reading rows: the creating host NOTIFYs the time
// ("s:" and the milliseconds until it), every host keeps the earliest one it heard of and arms its wake-up timer, and
// the look-up that queues due tasks also returns the next time. A claim before that time costs one comparison.
public sealed partial class PostgresStore
{
    private readonly Lock _scheduleGate = new();

    // MinValue: unknown (just started, or LISTEN reconnected and notifications may be lost): the next claim looks.
    private DateTimeOffset _nextScheduledAt = DateTimeOffset.MinValue;

    private const string ScheduleRunsSql = """
        WITH x AS (SELECT * FROM unnest(@ids::uuid[], @ats::timestamptz[]) AS x(id, at)),
        r AS (
            UPDATE {s}.runs r SET scheduled_at = x.at,
                deadline_at = CASE WHEN r.deadline_at IS NULL OR x.at <= r.created_at THEN r.deadline_at ELSE x.at + (r.deadline_at - r.created_at) END
            FROM x WHERE r.id = x.id
            RETURNING r.id, r.deadline_at
        ), t AS (
            UPDATE {s}.tasks t SET not_before = x.at
            FROM x WHERE t.run_id = x.id AND t.status = 'pending' AND t.remaining_deps = 0 AND t.enqueue
        )
        SELECT id, deadline_at FROM r
        """;

    private const string QueueDueScheduledSql = """
        WITH q AS (
            UPDATE {s}.tasks SET status = CASE WHEN type = 'approval' THEN 'awaiting_approval' ELSE 'queued' END, queued_at = {now}, not_before = NULL, updated_at = {now}
            WHERE status = 'pending' AND not_before IS NOT NULL AND not_before <= {now}
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM q)::int,
               (SELECT min(not_before) FROM {s}.tasks WHERE status = 'pending' AND not_before IS NOT NULL AND not_before > {now})
        """;

    private async Task ScheduleRunsAsync(PgTx tx, IReadOnlyList<CreateRunParams> runs, Dictionary<Guid, Run> created, CancellationToken ct)
    {
        var ids = new List<Guid>();
        var ats = new List<DateTimeOffset>();
        foreach (var p in runs)
        {
            if (NewRun.ScheduledFor(p) is not { } at || !created.ContainsKey(p.RunId)) continue;
            ids.Add(p.RunId);
            ats.Add(at);
        }

        if (ids.Count == 0) return;
        var deadlines = await tx.ReadAsync(S(ScheduleRunsSql), new { ids = ids.ToArray(), ats = ats.ToArray() },
            r => (Id: r.GetGuid(0), Deadline: r.IsDBNull(1) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(1)), ct);
        foreach (var (id, deadline) in deadlines) created[id] = created[id] with { DeadlineAt = deadline };
        var earliest = ats.Min();
        tx.ScheduledAt(earliest);
    }

    // A scheduled time heard of (created here, or NOTIFY from another host): claims from then on look for due tasks.
    private void LearnScheduledAt(DateTimeOffset at)
    {
        lock (_scheduleGate)
        {
            if (at < _nextScheduledAt) _nextScheduledAt = at;
        }

        _retryWake.WakeAt(at);
    }

    internal void ForgetScheduledTimes()
    {
        lock (_scheduleGate) _nextScheduledAt = DateTimeOffset.MinValue;
    }

    // Queues the scheduled tasks whose time has come, when this host knows one may have come; before a claim.
    private async Task QueueDueScheduledTasksAsync(CancellationToken cancellationToken)
    {
        lock (_scheduleGate)
        {
            if (_time.GetUtcNow() < _nextScheduledAt) return;
            // In flight: other claims skip the look-up; a time learnt meanwhile lowers it again and is kept below.
            _nextScheduledAt = DateTimeOffset.MaxValue;
        }

        DateTimeOffset? next;
        try
        {
            next = await InTransactionAsync(async (tx, ct) =>
            {
                var rows = await tx.ReadAsync(S(QueueDueScheduledSql), null,
                    r => (Queued: r.GetInt32(0), Next: r.IsDBNull(1) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(1)), ct);
                if (rows[0].Queued > 0) tx.WorkAvailable = true;
                return rows[0].Next;
            }, cancellationToken);
        }
        catch
        {
            ForgetScheduledTimes();
            throw;
        }

        if (next is { } n) LearnScheduledAt(n);
    }
}
