namespace Orchestration.Engine;

/// <summary>Checks a task graph before anything is written: names unique, dependencies known, no cycles.</summary>
internal static class GraphValidator
{
    /// <summary>Most task names a cycle error lists; the rest are counted, so a huge cycle cannot make a huge message.</summary>
    public const int MaxNamesInCycleError = 5;

    /// <summary>Throws <see cref="OrchestrationValidationException"/> naming the problem; returns normally for a valid graph.</summary>
    /// <param name="tasks">(name, dependencies) pairs.</param>
    public static void Validate(IReadOnlyList<(string Name, IReadOnlyList<string> DependsOn)> tasks)
    {
        // Single-task runs without dependencies are the bulk of enqueues; nothing but the name can be wrong.
        if (tasks.Count == 1 && tasks[0].DependsOn.Count == 0)
        {
            if (string.IsNullOrWhiteSpace(tasks[0].Name)) throw new OrchestrationValidationException("task name must not be empty", "name");
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in tasks)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new OrchestrationValidationException("task name must not be empty", "name");
            if (!names.Add(name)) throw new OrchestrationValidationException($"duplicate task name '{name}'", "name");
        }

        var anyDependency = false;
        foreach (var (name, deps) in tasks)
        {
            foreach (var dep in deps)
            {
                anyDependency = true;
                if (!names.Contains(dep))
                    throw new OrchestrationValidationException($"task '{name}' depends on unknown task '{dep}'", "dependencies");
                if (dep == name)
                    throw new OrchestrationValidationException($"dependency cycle: {name} -> {name}", "dependencies");
            }
        }

        // Without a single edge there is no cycle; single-task runs (the bulk of enqueues) skip the search.
        var cycle = anyDependency ? FindCycle(tasks) : null;
        if (cycle is not null)
            throw new OrchestrationValidationException(DescribeCycle(cycle), "dependencies");
    }

    /// <summary>
    /// Checks the routes of a run's tasks (<paramref name="named"/> holds their final names, in order): a task has routes
    /// or dependencies, not both; every route names a task of the run; an exit-code route lists its codes.
    /// </summary>
    public static void ValidateRoutes(IReadOnlyList<TaskSpec> tasks, IReadOnlyList<(string Name, IReadOnlyList<string> DependsOn)> named)
    {
        HashSet<string>? names = null;
        for (var i = 0; i < tasks.Count; i++)
        {
            var routes = tasks[i].Routes;
            if (routes.Count == 0) continue;
            var name = named[i].Name;
            if (tasks[i].DependsOn.Count > 0)
                throw new OrchestrationValidationException($"task '{name}' has both dependencies and routes: give it one or the other", "routes");
            names ??= named.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var route in routes)
            {
                if (route is null) throw new OrchestrationValidationException($"task '{name}' has an empty route", "routes");
                if (string.IsNullOrWhiteSpace(route.From) || !names.Contains(route.From))
                    throw new OrchestrationValidationException($"task '{name}' routes from unknown task '{route.From}'", "routes");
                if (!Enum.IsDefined(route.On))
                    throw new OrchestrationValidationException($"task '{name}' has a route on an unknown outcome '{route.On}'", "routes");
                if (route.On == Domain.RouteOn.ExitCode && (route.ExitCodes is null || route.ExitCodes.Count == 0))
                    throw new OrchestrationValidationException($"task '{name}' routes on exit codes of '{route.From}' without listing any", "routes");
                if (route.UnlessExitCodes is { Count: > 0 } && route.On is not (Domain.RouteOn.Completed or Domain.RouteOn.Failed))
                    throw new OrchestrationValidationException($"task '{name}' has UnlessExitCodes on a route on {route.On} from '{route.From}': only Completed and Failed routes take them", "routes");
            }
        }
    }

    // The cycle list ends with its first name again; only the distinct names count towards the cap.
    private static string DescribeCycle(List<string> cycle)
    {
        var distinct = cycle.Count - 1;
        if (distinct <= MaxNamesInCycleError) return "dependency cycle: " + string.Join(" -> ", cycle);
        return "dependency cycle: " + string.Join(" -> ", cycle.Take(MaxNamesInCycleError))
            + $" -> ... and {distinct - MaxNamesInCycleError} more tasks";
    }

    private static List<string>? FindCycle(IReadOnlyList<(string Name, IReadOnlyList<string> DependsOn)> tasks)
    {
        var edges = tasks.ToDictionary(t => t.Name, t => t.DependsOn, StringComparer.Ordinal);
        // 0 = unvisited, 1 = on the current path, 2 = done. Iterative so deep graphs cannot overflow the stack.
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (start, _) in tasks)
        {
            if (state.GetValueOrDefault(start) != 0) continue;
            var path = new List<string>();
            var stack = new Stack<(string Node, int Next)>();
            stack.Push((start, 0));
            state[start] = 1;
            path.Add(start);
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                var deps = edges[node];
                if (next < deps.Count)
                {
                    stack.Push((node, next + 1));
                    var dep = deps[next];
                    var s = state.GetValueOrDefault(dep);
                    if (s == 1)
                    {
                        var from = path.IndexOf(dep);
                        var cycle = path.Skip(from).ToList();
                        cycle.Add(dep);
                        return cycle;
                    }

                    if (s == 0)
                    {
                        state[dep] = 1;
                        path.Add(dep);
                        stack.Push((dep, 0));
                    }
                }
                else
                {
                    state[node] = 2;
                    path.RemoveAt(path.Count - 1);
                }
            }
        }

        return null;
    }
}
