namespace Orchestration.Domain;

/// <summary>How often and how soon a failed task is tried again (FlowCtl's <c>retry_policy</c>).</summary>
/// <param name="MaxAttempts">Total attempts including the first; 1 means no retry.</param>
/// <param name="InitialDelay">Delay before the second attempt.</param>
/// <param name="MaxDelay">Upper bound of any delay.</param>
/// <param name="BackoffFactor">Multiplier applied per further attempt (1 = constant delay).</param>
/// <param name="Jitter">Fraction (0–1) of the delay that is randomised, so retries of many tasks spread out.</param>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan InitialDelay, TimeSpan MaxDelay, double BackoffFactor, double Jitter)
{
    /// <summary>Three attempts, 1 s doubling to at most 5 minutes, 10% jitter.</summary>
    public static RetryPolicy Default { get; } = new(3, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), 2.0, 0.1);

    /// <summary>Delay before attempt <paramref name="nextAttempt"/> (2 for the first retry).</summary>
    /// <param name="nextAttempt">The attempt number about to be scheduled, at least 2.</param>
    /// <param name="random01">A sample in [0, 1) for the jitter; pass a fixed value for a deterministic delay.</param>
    public TimeSpan DelayBefore(int nextAttempt, double random01)
    {
        var exponent = Math.Max(0, nextAttempt - 2);
        var raw = InitialDelay.TotalMilliseconds * Math.Pow(BackoffFactor, exponent);
        var capped = Math.Min(raw, MaxDelay.TotalMilliseconds);
        // Jitter only shortens the delay, so MaxDelay stays a true upper bound.
        var jittered = capped * (1 - (Jitter * random01));
        return TimeSpan.FromMilliseconds(Math.Max(0, jittered));
    }

    /// <summary>Returns a message naming the first invalid field, or null when the policy is usable.</summary>
    public string? Validate()
    {
        if (MaxAttempts < 1) return "max_attempts must be at least 1";
        if (InitialDelay < TimeSpan.Zero) return "initial_delay must not be negative";
        if (MaxDelay < InitialDelay) return "max_delay must be at least initial_delay";
        if (BackoffFactor < 1 || double.IsNaN(BackoffFactor) || double.IsInfinity(BackoffFactor)) return "backoff_factor must be at least 1";
        if (Jitter is < 0 or > 1 || double.IsNaN(Jitter)) return "jitter must be between 0 and 1";
        return null;
    }
}
