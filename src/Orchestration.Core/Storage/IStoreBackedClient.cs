using Orchestration.Engine;

namespace Orchestration.Storage;

/// <summary>
/// Store SPI: the engine client seen by a store's own write paths. A store that offers a create the client does not
/// (the Postgres enqueue in a caller's transaction) gets the validated parameters from here, so its runs are checked
/// and defaulted exactly as <see cref="IOrchestrationClient.CreateRunsAsync"/> checks and defaults them.
/// </summary>
public interface IStoreBackedClient
{
    /// <summary>The store the client writes to; a store checks it is its own before writing around the client.</summary>
    IOrchestrationStore Store { get; }

    /// <summary>
    /// Validates <paramref name="specs"/> and resolves them into the store's create parameters (ids, defaults, retry
    /// policy), as every create does before it writes. Throws <see cref="OrchestrationValidationException"/> on bad input.
    /// </summary>
    CreateRunParams[] PrepareRuns(IReadOnlyList<RunSpec> specs);
}
