using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Runs that start at a given time: their root tasks wait pending with a not-before time and a claim queues the due ones.
public sealed partial class SqliteStore
{
    // The earliest not-before time of a scheduled task this process knows of: claims before it skip the look-up, so a
    // store without scheduled runs pays one comparison per claim. MinValue means unknown (just opened, another process
    // wrote the file, a transaction rolled back): the next claim looks. Only the writer reads and writes it.
    private DateTimeOffset _nextScheduledAt = DateTimeOffset.MinValue;

    private void ScheduleRun(WriteTx tx, RunRow run, DateTimeOffset? scheduledFor)
    {
        tx.Db.Exec(SqliteSql.SetRunScheduledAt, run.ScheduledAt, run.Id);
        if (scheduledFor is not { } at) return;
        tx.RawDb.Exec(SqliteSql.ScheduleRootTasks, at, run.Id);
        if (at < _nextScheduledAt) _nextScheduledAt = at;
        tx.WakeRetryAt(at);
    }

    private void QueueDueScheduledTasks(WriteTx tx)
    {
        if (tx.Now < _nextScheduledAt) return;
        tx.RawDb.Exec(SqliteSql.QueueDueScheduled, tx.Now);
        if (tx.RawDb.Scalar(SqliteSql.NextScheduledAfter, tx.Now) is long next)
        {
            _nextScheduledAt = SqliteValues.Time(next);
            tx.WakeRetryAt(_nextScheduledAt);
        }
        else
        {
            _nextScheduledAt = DateTimeOffset.MaxValue;
        }
    }
}
