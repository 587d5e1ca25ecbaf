using Orchestration.Domain;

namespace Orchestration.Engine;

/// <summary>Engine-wide defaults applied when a spec leaves a value out.</summary>
public sealed class EngineOptions
{
    /// <summary>Retry policy for tasks that set none.</summary>
    public RetryPolicy DefaultRetryPolicy { get; set; } = RetryPolicy.Default;

    /// <summary>Per-attempt timeout for tasks that set none; null for no limit.</summary>
    public TimeSpan? DefaultTaskTimeout { get; set; }

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    public string? Validate()
    {
        if (DefaultRetryPolicy is null) return "Orchestration: DefaultRetryPolicy must be set.";
        var p = DefaultRetryPolicy.Validate();
        if (p is not null) return "Orchestration: DefaultRetryPolicy is invalid: " + p + ".";
        if (DefaultTaskTimeout is { } t && t <= TimeSpan.Zero) return "Orchestration: DefaultTaskTimeout must be positive when set.";
        return null;
    }
}
