using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>Parameters of <see cref="IOrchestrationStore.RetryTaskAsync"/>: one failed task to run again.</summary>
public sealed record RetryTaskParams
{
    /// <summary>The caller's org; another org's run is not found.</summary>
    public required string OrgId { get; init; }
    /// <summary>The caller's API family; a run of another family is not found. Null for any family.</summary>
    public string? Family { get; init; }
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }
    /// <summary>The failed task, which must belong to <see cref="RunId"/>.</summary>
    public required Guid TaskId { get; init; }
}

/// <summary>
/// Decides, once for every store, what <see cref="IOrchestrationStore.RetryTaskAsync"/> changes in a run: which tasks
/// are reset and how many dependencies each then waits for. The store applies the plan in one transaction.
/// </summary>
public static class TaskRetryRules
{
    /// <summary>
    /// True when a run of <paramref name="kind"/> in <paramref name="status"/> lets a failed task be retried: an
    /// unfinished run, or a failed managed run. A completed or cancelled run is final (restart or rerun it); a finished
    /// open run's status is its client's, so it takes no retry either.
    /// </summary>
    public static bool MayRetryIn(RunKind kind, RunStatus status) =>
        !status.IsTerminal() || (kind == RunKind.Managed && status == RunStatus.Failed);

    /// <summary>
    /// Plans the retry of <paramref name="failed"/> among <paramref name="tasksOfRun"/> (every task of its run, as the
    /// transaction reads them).
    /// </summary>
    public static TaskRetryPlan Plan(IReadOnlyList<TaskRun> tasksOfRun, TaskRun failed)
    {
        ArgumentNullException.ThrowIfNull(tasksOfRun);
        ArgumentNullException.ThrowIfNull(failed);
        var byName = new Dictionary<string, TaskRun>(tasksOfRun.Count, StringComparer.Ordinal);
        foreach (var t in tasksOfRun) byName[t.Name] = t;
        var reset = new HashSet<string>(StringComparer.Ordinal) { failed.Name };
        var order = new List<TaskRun> { failed };

        // Only skips are undone: the engine skips what depends on a failure and cancels only when a whole run is cancelled
        // or times out, so no cancelled task is downstream "because of" this one. A skipped task comes back only when
        // nothing outside the reset still blocks it; otherwise it would wait for good and its run never end.
        bool changed;
        do
        {
            changed = false;
            foreach (var t in tasksOfRun)
            {
                if (t.Status != TaskRunStatus.Skipped || reset.Contains(t.Name)) continue;
                if (!t.Dependencies.Any(reset.Contains) && !t.Routes.Any(r => reset.Contains(r.From))) continue;
                if (t.Dependencies.Any(d => !reset.Contains(d) && byName.TryGetValue(d, out var dep) && Blocks(dep))) continue;
                reset.Add(t.Name);
                order.Add(t);
                changed = true;
            }
        }
        while (changed);

        var remaining = new Dictionary<Guid, int>(order.Count);
        foreach (var t in order)
        {
            if (t.Routes.Count > 0) continue;
            // One per listing, as promotion counts: a name listed twice waits for two decrements.
            remaining[t.Id] = t.Dependencies.Count(d => reset.Contains(d) || !byName.TryGetValue(d, out var dep) || !Satisfies(dep));
        }

        // An allowed failure already counted as done for its pending dependents; they wait for the retried task again.
        var rewaiting = new List<(TaskRun Task, int Listings)>();
        if (failed.AllowFailure)
        {
            foreach (var t in tasksOfRun)
            {
                if (t.Status != TaskRunStatus.Pending || t.Routes.Count > 0 || reset.Contains(t.Name)) continue;
                var listings = t.Dependencies.Count(d => string.Equals(d, failed.Name, StringComparison.Ordinal));
                if (listings > 0) rewaiting.Add((t, listings));
            }
        }

        return new TaskRetryPlan(order, remaining, rewaiting);
    }

    /// <summary>True when <paramref name="task"/>, as it stands, lets its dependents proceed: completed, or failed with its failure allowed.</summary>
    public static bool Satisfies(TaskRun task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.Status == TaskRunStatus.Completed || (task.Status == TaskRunStatus.Failed && task.AllowFailure);
    }

    // Ended without letting dependents proceed: they stay skipped.
    private static bool Blocks(TaskRun task) =>
        task.Status is TaskRunStatus.Skipped or TaskRunStatus.Cancelled || (task.Status == TaskRunStatus.Failed && !task.AllowFailure);
}

/// <summary>What a task retry changes (<see cref="TaskRetryRules.Plan"/>).</summary>
public sealed class TaskRetryPlan
{
    private readonly Dictionary<Guid, int> _remaining;

    internal TaskRetryPlan(IReadOnlyList<TaskRun> reset, Dictionary<Guid, int> remaining, IReadOnlyList<(TaskRun Task, int Listings)> rewaiting)
    {
        Reset = reset;
        _remaining = remaining;
        Rewaiting = rewaiting;
    }

    /// <summary>The tasks that become pending again with a fresh attempt budget: the failed task first, then the skipped ones downstream of it.</summary>
    public IReadOnlyList<TaskRun> Reset { get; }

    /// <summary>Pending tasks (not reset) that counted the retried task's allowed failure as done, and how often they list it.</summary>
    public IReadOnlyList<(TaskRun Task, int Listings)> Rewaiting { get; }

    /// <summary>
    /// How many dependency listings a reset task without routes waits for (0: it is ready at once); null for a routed
    /// task, which the route rules decide when its sources end.
    /// </summary>
    public int? RemainingDependencies(TaskRun task) => task is not null && _remaining.TryGetValue(task.Id, out var n) ? n : null;
}
