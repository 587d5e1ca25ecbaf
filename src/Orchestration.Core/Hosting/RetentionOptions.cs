using Orchestration.Storage;

namespace Orchestration.Hosting;

/// <summary>
/// How long finished runs and webhook deliveries are kept (configuration section <c>Orchestration:Retention</c>). A run's
/// time to live starts when it finishes; completed runs and failed or cancelled runs have one each, and a rule for a
/// family, a run name or both overrides either. The leader deletes what is due every <see cref="Interval"/>, in batches.
/// Nothing set (the default) keeps every run; deliveries are kept <see cref="WebhookDeliveryTtl"/>.
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>The rule name of the defaults in counts and logs.</summary>
    public const string DefaultRule = "default";

    /// <summary>Completed runs are deleted this long after they finished; null (default) keeps them.</summary>
    public TimeSpan? CompletedTtl { get; set; }

    /// <summary>Failed and cancelled runs are deleted this long after they finished; null (default) keeps them.</summary>
    public TimeSpan? FailedTtl { get; set; }

    /// <summary>
    /// Overrides for some runs, matched by family, run name or both. The most specific matching rule that sets a time to
    /// live for the run's state decides (family and name, then name, then family); a rule that leaves one unset inherits it.
    /// </summary>
    public IList<RetentionRule> Rules { get; } = new List<RetentionRule>();

    /// <summary>
    /// Delivered and failed webhook deliveries are deleted this long after they were created; pending ones never are.
    /// Null keeps them. Default 7 days (deliveries are retried for a day).
    /// </summary>
    public TimeSpan? WebhookDeliveryTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the leader runs a retention pass. Default 1 minute; the first pass runs one interval after start.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Runs (and deliveries) deleted per transaction, so a pass never holds locks long. Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>False turns the retention loop off. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>True when a pass would delete anything at all.</summary>
    internal bool HasWork => WebhookDeliveryTtl is not null || CompletedTtl is not null || FailedTtl is not null || Rules.Any(r => r.EffectiveCompletedTtl is not null || r.FailedTtl is not null);

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    public string? Validate()
    {
        if (CompletedTtl < TimeSpan.Zero) return "Orchestration:Retention:CompletedTtl must not be negative.";
        if (FailedTtl < TimeSpan.Zero) return "Orchestration:Retention:FailedTtl must not be negative.";
        if (WebhookDeliveryTtl < TimeSpan.Zero) return "Orchestration:Retention:WebhookDeliveryTtl must not be negative.";
        if (Interval <= TimeSpan.Zero) return "Orchestration:Retention:Interval must be positive.";
        if (BatchSize < 1) return "Orchestration:Retention:BatchSize must be at least 1.";
        var seen = new HashSet<RunMatch>();
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            var at = $"Orchestration:Retention:Rules:{i}";
            if (rule is null) return $"{at} is empty.";
            if (string.IsNullOrEmpty(rule.Family) && string.IsNullOrEmpty(rule.Name)) return $"{at} must name a Family, a Name or both.";
            if (rule.CompletedTtl < TimeSpan.Zero) return $"{at}:CompletedTtl must not be negative.";
            if (rule.FailedTtl < TimeSpan.Zero) return $"{at}:FailedTtl must not be negative.";
            if (rule.DeleteOnComplete && rule.CompletedTtl is { } t && t != TimeSpan.Zero) return $"{at} sets DeleteOnComplete and a CompletedTtl of {t}; set one.";
            if (!seen.Add(rule.Match)) return $"{at} matches the same runs as an earlier rule ({rule.RuleName}).";
        }

        return null;
    }

    /// <summary>
    /// The pass the store runs: for each state, one target per rule that sets a time to live for it, most specific
    /// first, each excluding the runs of the more specific ones; then the default, excluding every rule's runs.
    /// </summary>
    internal RetentionPass ToPass()
    {
        var targets = new List<RetentionTarget>();
        foreach (var state in new[] { RetentionState.Completed, RetentionState.Failed })
        {
            var overriding = Rules.Select(r => (Rule: r, Ttl: state == RetentionState.Completed ? r.EffectiveCompletedTtl : r.FailedTtl))
                .Where(r => r.Ttl is not null)
                .OrderByDescending(r => r.Rule.Specificity)
                .ToList();
            foreach (var (rule, ttl) in overriding)
            {
                var except = overriding.Where(o => o.Rule.Specificity > rule.Specificity).Select(o => o.Rule.Match).ToList();
                targets.Add(new RetentionTarget(rule.RuleName, state, rule.Match, ttl!.Value, except));
            }

            // Runs whose rule leaves this state unset inherit the default, so only overriding rules are excluded from it.
            if ((state == RetentionState.Completed ? CompletedTtl : FailedTtl) is { } defaultTtl)
                targets.Add(new RetentionTarget(DefaultRule, state, new RunMatch(null, null), defaultTtl, overriding.Select(o => o.Rule.Match).ToList()));
        }

        return new RetentionPass { Targets = targets, WebhookDeliveryTtl = WebhookDeliveryTtl, BatchSize = BatchSize };
    }
}

/// <summary>Retention of some runs: those of a family, of a name (a workflow's name, a job type), or both.</summary>
public sealed class RetentionRule
{
    /// <summary>The family that created the runs (<c>foreman</c>, <c>jobs</c>, <c>workflows</c>, <c>formicary</c>, <c>embedded</c>); null for any.</summary>
    public string? Family { get; set; }

    /// <summary>The runs' name (what the family calls its type: a workflow's name, a job request's job type); null for any.</summary>
    public string? Name { get; set; }

    /// <summary>Completed runs are deleted this long after they finished; null inherits the default.</summary>
    public TimeSpan? CompletedTtl { get; set; }

    /// <summary>Failed and cancelled runs are deleted this long after they finished; null inherits the default.</summary>
    public TimeSpan? FailedTtl { get; set; }

    /// <summary>Completed runs go at the first retention pass after they finish (a completed time to live of zero).</summary>
    public bool DeleteOnComplete { get; set; }

    internal TimeSpan? EffectiveCompletedTtl => DeleteOnComplete ? TimeSpan.Zero : CompletedTtl;

    internal RunMatch Match => new(string.IsNullOrEmpty(Family) ? null : Family, string.IsNullOrEmpty(Name) ? null : Name);

    // Family and name, then name alone, then family alone.
    internal int Specificity => (Match.Name is null ? 0 : 2) + (Match.Family is null ? 0 : 1);

    internal string RuleName => $"{Match.Family ?? "*"}/{Match.Name ?? "*"}";
}
