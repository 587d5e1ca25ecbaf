using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>What a route sees of its <see cref="TaskRoute.From"/> task.</summary>
/// <param name="Status">The task's status.</param>
/// <param name="ExitCode">Its reported exit code, if any.</param>
/// <param name="AllowFailure">Whether its failure counts as a completion.</param>
public readonly record struct RouteSource(TaskRunStatus Status, int? ExitCode, bool AllowFailure);

/// <summary>
/// Store SPI: the routing rules, decided once for every store. A store calls <see cref="Decide"/> for each pending routed
/// task of a run whenever a task of that run became terminal, and applies the answer in the same transaction.
/// </summary>
public static class RouteRules
{
    /// <summary>
    /// Null while some route's From task is not terminal (keep waiting); true when at least one route matches (queue
    /// the task); false when none does (skip it). A From task the run does not have counts as skipped.
    /// </summary>
    public static bool? Decide(IReadOnlyList<TaskRoute> routes, Func<string, RouteSource?> sourceOf)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(sourceOf);
        var matched = false;
        foreach (var route in routes)
        {
            var source = sourceOf(route.From) ?? new RouteSource(TaskRunStatus.Skipped, null, false);
            if (!source.Status.IsTerminal()) return null;
            matched |= Matches(route, source);
        }

        return matched;
    }

    /// <summary>Whether a route matches its terminal From task.</summary>
    public static bool Matches(TaskRoute route, RouteSource from)
    {
        ArgumentNullException.ThrowIfNull(route);
        var completed = from.Status == TaskRunStatus.Completed || (from.Status == TaskRunStatus.Failed && from.AllowFailure);
        var codeTakenElsewhere = from.ExitCode is { } exit && route.UnlessExitCodes is { } unless && unless.Contains(exit);
        return route.On switch
        {
            RouteOn.Completed => completed && !codeTakenElsewhere,
            RouteOn.Failed => from.Status == TaskRunStatus.Failed && !from.AllowFailure && !codeTakenElsewhere,
            RouteOn.ExitCode => from.Status is TaskRunStatus.Completed or TaskRunStatus.Failed
                                && from.ExitCode is { } code && route.ExitCodes is { } codes && codes.Contains(code),
            RouteOn.Finished => from.Status.IsTerminal(),
            _ => false,
        };
    }

    /// <summary>
    /// Whether a terminal task makes its managed run fail: a failure it did not allow, or a cancellation. A skipped task
    /// never does by itself: it was skipped because an upstream task failed (which fails the run) or because its routes
    /// did not match (which is a branch not taken).
    /// </summary>
    public static bool FailsRun(TaskRunStatus status, bool allowFailure) =>
        status == TaskRunStatus.Cancelled || (status == TaskRunStatus.Failed && !allowFailure);

    /// <summary>The data of the <c>task.skipped</c> event of a routed task none of whose routes matched.</summary>
    public const string NoRouteMatchedJson = "{\"reason\":\"no route matched\"}";

    /// <summary>The routes as JSON text for a column; null for none.</summary>
    public static string? ToJson(IReadOnlyList<TaskRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        if (routes.Count == 0) return null;
        var rows = new StoredRoute[routes.Count];
        for (var i = 0; i < rows.Length; i++)
            rows[i] = new StoredRoute(routes[i].From, routes[i].On.ToString(), routes[i].ExitCodes?.ToArray())
            {
                UnlessExitCodes = routes[i].UnlessExitCodes is { Count: > 0 } unless ? unless.ToArray() : null,
            };
        return JsonSerializer.Serialize(rows, Options);
    }

    /// <summary>Routes read back from <see cref="ToJson"/>'s text; empty for null.</summary>
    public static IReadOnlyList<TaskRoute> FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json)) return [];
        var rows = JsonSerializer.Deserialize<StoredRoute[]>(json, Options) ?? [];
        var routes = new TaskRoute[rows.Length];
        for (var i = 0; i < rows.Length; i++)
            routes[i] = new TaskRoute(rows[i].From, Enum.Parse<RouteOn>(rows[i].On), rows[i].ExitCodes) { UnlessExitCodes = rows[i].UnlessExitCodes };
        return routes;
    }

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    private sealed record StoredRoute(string From, string On, int[]? ExitCodes)
    {
        // Left out when absent, so routes without it keep the text they had before it existed.
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public int[]? UnlessExitCodes { get; init; }
    }
}
