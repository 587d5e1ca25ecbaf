namespace Orchestration.Domain;

/// <summary>Which outcome of a route's <see cref="TaskRoute.From"/> task lets the routed task run.</summary>
public enum RouteOn
{
    /// <summary>From completed (or failed while allowing failure).</summary>
    Completed,
    /// <summary>From failed for good (a failure it allowed does not count).</summary>
    Failed,
    /// <summary>From ended, completed or failed, with one of the route's exit codes.</summary>
    ExitCode,
    /// <summary>From reached any terminal status, skipped and cancelled included.</summary>
    Finished,
}

/// <summary>
/// One way into a routed task: it runs when at least one of its routes matches once every route's
/// <paramref name="From"/> is terminal, and is skipped otherwise.
/// </summary>
/// <param name="From">Name of a task of the same run.</param>
/// <param name="On">The outcome that matches.</param>
/// <param name="ExitCodes">For <see cref="RouteOn.ExitCode"/>: the exit codes that match (required, not empty).</param>
public sealed record TaskRoute(string From, RouteOn On, IReadOnlyList<int>? ExitCodes = null)
{
    /// <summary>
    /// For <see cref="RouteOn.Completed"/> and <see cref="RouteOn.Failed"/>: exit codes that keep this route from matching,
    /// because another route of the same From task takes them first (Formicary follows a matching <c>on_exit_code</c>
    /// instead of <c>on_completed</c> / <c>on_failed</c>). Null or empty: the outcome alone decides.
    /// </summary>
    public IReadOnlyList<int>? UnlessExitCodes { get; init; }
}
