using Orchestration.Domain;

namespace Orchestration.Engine;

/// <summary>Engine-wide defaults applied when a spec leaves a value out.</summary>
public sealed class EngineOptions
{
    /// <summary>Retry policy for tasks that set none.</summary>
    public RetryPolicy DefaultRetryPolicy { get; set; } = RetryPolicy.Default;

    /// <summary>Per-attempt timeout for tasks that set none; null for no limit.</summary>
    public TimeSpan? DefaultTaskTimeout { get; set; }

    /// <summary>
    /// Limits on concurrency keys, enforced when tasks are claimed across every host sharing the store. A task's key
    /// (<see cref="TaskSpec.ConcurrencyKey"/>) takes the first entry that matches it: exactly, or by prefix when the
    /// entry's key ends with <c>*</c>. Order entries from the most to the least specific.
    /// </summary>
    public IList<KeyLimit> KeyLimits { get; } = new List<KeyLimit>();

    /// <summary>
    /// Concurrency key templates by task type, for tasks whose spec sets no <see cref="TaskSpec.ConcurrencyKey"/>: a way
    /// to limit a type (<c>"{type}"</c>) or a type per org (<c>"{type}:{org}"</c>) without asking clients for a key. The
    /// entry <c>"*"</c> applies to every type without an entry of its own: <c>"org:{org}"</c> with a limit on
    /// <c>"org:*"</c> caps what any one org runs at once, so a flooding org leaves slots for the others.
    /// </summary>
    public IDictionary<string, string> TypeConcurrencyKeys { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How the in-process worker's claims are shared between orgs with ready work.</summary>
    public FairnessOptions Fairness { get; } = new();

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    public string? Validate()
    {
        if (DefaultRetryPolicy is null) return "Orchestration: DefaultRetryPolicy must be set.";
        var p = DefaultRetryPolicy.Validate();
        if (p is not null) return "Orchestration: DefaultRetryPolicy is invalid: " + p + ".";
        if (DefaultTaskTimeout is { } t && t <= TimeSpan.Zero) return "Orchestration: DefaultTaskTimeout must be positive when set.";
        foreach (var limit in KeyLimits)
        {
            if (string.IsNullOrEmpty(limit.Key)) return "Orchestration: every KeyLimits entry needs a Key.";
            if (limit.MaxRunning < 1) return $"Orchestration: KeyLimits[\"{limit.Key}\"].MaxRunning must be at least 1.";
            if (limit.MaxStarts < 1) return $"Orchestration: KeyLimits[\"{limit.Key}\"].MaxStarts must be at least 1.";
            if (limit.MaxStarts is not null && limit.Window is null) return $"Orchestration: KeyLimits[\"{limit.Key}\"].MaxStarts needs a Window.";
            if (limit.Window is { } w && limit.MaxStarts is null) return $"Orchestration: KeyLimits[\"{limit.Key}\"].Window needs MaxStarts.";
            if (limit.Window is { } window && (window < TimeSpan.FromSeconds(1) || window > TimeSpan.FromDays(1) || window.Ticks % TimeSpan.TicksPerMillisecond != 0))
                return $"Orchestration: KeyLimits[\"{limit.Key}\"].Window must be from 1 second to 1 day, in whole milliseconds.";
        }

        foreach (var (type, template) in TypeConcurrencyKeys)
        {
            var problem = ConcurrencyKeys.CheckTemplate(template);
            if (problem is not null) return $"Orchestration: TypeConcurrencyKeys[\"{type}\"] is invalid: {problem}.";
        }

        return Fairness.Validate();
    }
}
