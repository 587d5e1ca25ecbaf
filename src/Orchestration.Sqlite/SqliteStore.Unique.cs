using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Unique work: checked and taken inside the single writer's transaction, so no other create runs between the check and
// the take.
public sealed partial class SqliteStore
{
    private const string UniqueHolderSql = "SELECT run_id FROM unique_keys WHERE org_id = $org AND scope = $scope AND key = $key";

    private const string TakeUniqueKeySql =
        "INSERT INTO unique_keys (org_id, scope, key, run_id) VALUES ($org, $scope, $key, $run) " +
        "ON CONFLICT (org_id, scope, key) DO UPDATE SET run_id = excluded.run_id";

    // The run that blocks p by p's rule, or null after p took the key (the caller then creates p's run). A holder that is
    // gone (pruned) or no longer blocks gives the key up.
    private static Guid? UniqueHolder(WriteTx tx, CreateRunParams p)
    {
        if (p.Unique is not { } rule) return null;
        var scope = NewRun.UniqueScopeOf(p)!;
        if (tx.Db.Scalar(UniqueHolderSql, p.OrgId, scope, rule.Key) is string held
            && tx.Run(Guid.ParseExact(held, "D")) is { } holder
            && rule.Blocks(holder.Status, holder.CompletedAt, tx.Now))
            return holder.Id;
        tx.Db.Exec(TakeUniqueKeySql, p.OrgId, scope, rule.Key, p.RunId);
        return null;
    }
}
