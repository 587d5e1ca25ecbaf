namespace Orchestration.Hosting;

/// <summary>
/// Decides whether this node does the work one node must do alone (lease reaping, run timeouts, cron, retention).
/// Single-process stores are always leader; Postgres holds an advisory lock.
/// </summary>
public interface ILeaderElector
{
    /// <summary>
    /// Tries to become (or stay) leader; true while this node leads. Must be cheap when called every maintenance pass.
    /// A false result after a true one means leadership was lost (for example the database connection dropped).
    /// </summary>
    ValueTask<bool> TryLeadAsync(CancellationToken cancellationToken);
}

internal sealed class AlwaysLeader : ILeaderElector
{
    public ValueTask<bool> TryLeadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(true);
}
