namespace Orchestration.Domain;

/// <summary>Lifecycle of a <see cref="Run"/>. Terminal states are <see cref="Completed"/>, <see cref="Failed"/> and <see cref="Cancelled"/>.</summary>
public enum RunStatus
{
    /// <summary>Created; no task has started yet.</summary>
    Pending,
    /// <summary>At least one task has started (engine-managed), or a client said so (open runs).</summary>
    Running,
    /// <summary>Every task completed (engine-managed), or a client said so (open runs).</summary>
    Completed,
    /// <summary>A task failed for good, or the run timed out.</summary>
    Failed,
    /// <summary>Cancelled by a client; no task of it runs again unless the run is restarted.</summary>
    Cancelled,
}
