using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

public sealed partial class PostgresStore
{
    private readonly EventHorizon _eventHorizon = new();

    /// <inheritdoc />
    /// <remarks>
    /// Sequence numbers are drawn when a row is written, not when it commits, so sequence N+1 can be visible while N
    /// is still in flight. The events returned stop at the store's horizon: the highest sequence up to which every
    /// number is either visible or can no longer commit (see <see cref="EventHorizon"/>).
    /// </remarks>
    public async Task<EventBatch> ReadCommittedEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken)
    {
        limit = Math.Max(0, limit);
        var horizon = await _eventHorizon.AdvanceAsync(this, afterSequence, cancellationToken);
        if (horizon <= afterSequence) return new EventBatch([], afterSequence);
        var events = await ReadEventsAsync(afterSequence, limit, orgId, cancellationToken);
        var safe = events.Where(e => e.Sequence <= horizon).ToList();
        return new EventBatch(safe, safe.Count == limit && limit > 0 ? safe[^1].Sequence : horizon);
    }

    private Task<string> CurrentSnapshotAsync(CancellationToken cancellationToken) =>
        OnConnectionAsync(async (tx, ct) => (await tx.ScalarAsync<string>("SELECT pg_current_snapshot()::text", null, ct))!, cancellationToken);

    // True when no transaction that was in progress at the snapshot still is. pg_xact_status is null for transactions
    // too old to look up, which are long finished.
    private Task<bool> SnapshotSettledAsync(string snapshot, CancellationToken cancellationToken) =>
        OnConnectionAsync((tx, ct) => tx.ScalarAsync<bool>(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(@snapshot::pg_snapshot) x WHERE pg_xact_status(x) = 'in progress')",
            new { snapshot }, ct), cancellationToken);

    /// <summary>
    /// How far this host knows the event sequence to be settled. A missing number (a gap) behind a visible event belongs
    /// to a transaction that was in progress when the gap was seen, or to one that rolled back. The snapshot taken right
    /// after the read that saw the gap lists every transaction then in progress; once all of them have ended, the events
    /// are read again from before the gap, so a late commit is seen, and a number still missing is passed over for good.
    /// The writer of an event already holds a transaction id when it draws the number (events are written after the state
    /// change they record), which is what makes the snapshot cover it. Readers wait behind a gap only as long as the
    /// transactions in flight at that moment take.
    /// Sequences are counted here by the row number that was drawn (the sequence without its position in a batch row,
    /// <see cref="PostgresEventSql.IndexBits"/>). Events written before migration 0020 have consecutive sequences, so
    /// many of them share a row number; they were all committed before the migration ran, so no gap among them can fill.
    /// </summary>
#pragma warning disable CA1001 // The semaphore's wait handle is never created (no AvailableWaitHandle), so it holds nothing to dispose.
    private sealed class EventHorizon
#pragma warning restore CA1001
    {
        private const int ReadBatch = 1000;
        private const int MaxBatchesPerAdvance = 20;

        private readonly SemaphoreSlim _gate = new(1, 1);
        // Missing ranges of sequence numbers, each with the snapshot taken after the read that first saw it.
        private readonly List<(long From, long To, string Snapshot)> _gaps = [];
        private long _settled;

        public async Task<long> AdvanceAsync(PostgresStore store, long afterSequence, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                // A caller's cursor is a horizon some host returned, so everything up to it is settled already.
                if (afterSequence > _settled) SettleTo(afterSequence);

                var settled = new List<(long From, long To)>();
                foreach (var (from, to, snapshot) in _gaps)
                    if (await store.SnapshotSettledAsync(snapshot, cancellationToken)) settled.Add((from, to));

                for (var batch = 0; batch < MaxBatchesPerAdvance; batch++)
                {
                    var events = await store.ReadEventsAsync(_settled, ReadBatch, null, cancellationToken);
                    var blocked = false;
                    foreach (var e in events)
                    {
                        // Numbers are drawn per row (a batch row or a single event); a row's events become visible
                        // together, so only a missing row number is a gap (PostgresEventSql).
                        if (e.Sequence >> PostgresEventSql.IndexBits > (_settled >> PostgresEventSql.IndexBits) + 1)
                        {
                            var (from, to) = (((_settled >> PostgresEventSql.IndexBits) + 1) << PostgresEventSql.IndexBits, (e.Sequence >> PostgresEventSql.IndexBits << PostgresEventSql.IndexBits) - 1);
                            if (!settled.Any(g => g.From <= from && to <= g.To))
                            {
                                if (!_gaps.Any(g => g.From <= from && to <= g.To))
                                    _gaps.Add((from, to, await store.CurrentSnapshotAsync(cancellationToken)));
                                blocked = true;
                                break;
                            }
                        }

                        SettleTo(e.Sequence);
                    }

                    if (blocked || events.Count < ReadBatch) break;
                }

                return _settled;
            }
            finally
            {
                _gate.Release();
            }
        }

        private void SettleTo(long sequence)
        {
            _settled = sequence;
            _gaps.RemoveAll(g => g.To <= sequence);
        }
    }
}
