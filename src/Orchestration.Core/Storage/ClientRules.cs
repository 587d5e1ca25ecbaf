using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// Store SPI: the rules every back end applies to client-driven writes (AddTask, UpdateOpenRun, UpdateTaskByClient), written once
/// so the three stores cannot drift. Executor writes (claim, complete, fail) never pass through here.
/// </summary>
public static class ClientRules
{
    /// <summary>
    /// A run of another family is as missing as another org's: a family's endpoints must not act on, or learn of, runs
    /// they did not create. A null family is a caller of every family (embedded code, handlers' child tasks).
    /// </summary>
    public static bool FamilyMatches(string runFamily, string? family) =>
        family is null || string.Equals(runFamily, family, StringComparison.Ordinal);

    /// <summary>
    /// Engine-managed runs follow their tasks, so no client sets a status on their tasks; and a finished task stays
    /// finished (only a restart reopens it), which is what keeps a completed task from running a second time. Setting
    /// a task of an open run to the status it already has changes nothing and is allowed.
    /// </summary>
    public static bool MayChangeTaskStatus(RunKind runKind, TaskRunStatus current, TaskRunStatus wanted) =>
        runKind == RunKind.Open && (current == wanted || !current.IsTerminal());

    /// <summary>
    /// Clients set the status of open runs only, and a finished open run stays finished: its unfinished tasks were
    /// cancelled when it finished, so reopening it would leave a running run whose work is gone.
    /// </summary>
    public static bool MayChangeRunStatus(RunKind runKind, RunStatus current, RunStatus wanted) =>
        runKind == RunKind.Open && (current == wanted || !current.IsTerminal());
}
