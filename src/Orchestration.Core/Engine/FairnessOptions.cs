namespace Orchestration.Engine;

/// <summary>
/// Weighted sharing of the in-process worker's claims between the orgs that have ready work (see docs/limits.md,
/// "Fairness"). A claim of N tasks is shared between those orgs in proportion to their weights; what an org cannot use
/// goes to the others in claim order, so a lone org still gets whole batches. Within an org, priority then age decide.
/// </summary>
public sealed class FairnessOptions
{
    /// <summary>The largest weight accepted: shares stay exact integers for every weight up to 20 and close above.</summary>
    public const int MaxWeight = 1000;

    /// <summary>
    /// On by default: a lone org claims as fast as without it (on Postgres too: docs/limits.md, "Fairness"), and with
    /// several orgs it stops one org from delaying all the others by flooding the queue or by raising its priorities
    /// (priority orders an org's own tasks only).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Weights by org id; an org without an entry has <see cref="DefaultWeight"/>.</summary>
    public IDictionary<string, int> Weights { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>The weight of an org without an entry in <see cref="Weights"/>.</summary>
    public int DefaultWeight { get; set; } = 1;

    /// <summary>The weight of <paramref name="orgId"/>.</summary>
    public int WeightOf(string orgId) => Weights.TryGetValue(orgId, out var w) ? w : DefaultWeight;

    internal string? Validate()
    {
        if (DefaultWeight is < 1 or > MaxWeight) return $"Orchestration: Fairness:DefaultWeight must be from 1 to {MaxWeight} (was {DefaultWeight}).";
        foreach (var (org, weight) in Weights)
        {
            if (weight is < 1 or > MaxWeight) return $"Orchestration: Fairness:Weights[\"{org}\"] must be from 1 to {MaxWeight} (was {weight}).";
        }

        return null;
    }
}
