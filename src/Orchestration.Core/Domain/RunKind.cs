namespace Orchestration.Domain;

/// <summary>Whether the engine or the client decides a run's status.</summary>
public enum RunKind
{
    /// <summary>The run carries a task graph and its status follows its tasks.</summary>
    Managed,
    /// <summary>Created empty; tasks are added later and only a client changes the run's status (Foreman runs).</summary>
    Open,
}
