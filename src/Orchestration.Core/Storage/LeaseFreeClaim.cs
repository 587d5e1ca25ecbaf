using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// A claim's answer to a <see cref="ClaimTasksParams.LeaseTokensApart"/> request: the claimed records without their
/// lease tokens (what handlers may see) and, at the same positions, the tokens (what the executor keeps).
/// </summary>
internal sealed class LeaseFreeClaim(int capacity) : List<TaskRun>(capacity)
{
    public List<Guid> LeaseTokens { get; } = new(capacity);

    public void Add(TaskRun leaseFree, Guid leaseToken)
    {
        Add(leaseFree);
        LeaseTokens.Add(leaseToken);
    }
}
