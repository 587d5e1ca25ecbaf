using System.Globalization;

namespace Orchestration.Postgres;

// Per-key rate limits (migration 0014, PostgresKeySql.CountStartsCte): the exclusive claim counts its starts per key and
// reports when the earliest window it used up ends. Tasks held back by a rate become claimable at that moment with no
// row changing, so nothing else would wake a worker: this host arms its timer, and every other host hears the time
// through the same NOTIFY as a retry delay ("r:" and the milliseconds to wait) and arms its own.
public sealed partial class PostgresStore
{
    private async Task AnnounceRateWindowEndAsync(PgTx tx, TimeSpan delay, CancellationToken ct)
    {
        tx.RetryIn(delay);
        // The claim's implicit transaction has committed: the announcement is a command of its own, sent only by the
        // claim that used a window up (once per key and window).
        await tx.ExecAsync("SELECT pg_notify(@channel, @payload)",
            new { channel = Channel, payload = "r:" + delay.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) }, ct);
    }
}
