using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;
using Orchestration.Execution;

namespace Orchestration.Hosting;

/// <summary>Everything <c>AddOrchestration</c> configures: the store, engine defaults and the in-process worker.</summary>
public sealed class OrchestrationOptions
{
    internal Action<IServiceCollection>? StoreRegistration { get; private set; }
    internal string? StoreName { get; private set; }

    /// <summary>Engine defaults (retry policy, task timeout).</summary>
    public EngineOptions Engine { get; } = new();

    /// <summary>The in-process executor runtime.</summary>
    public WorkerOptions Worker { get; } = new();

    /// <summary>The leader-only maintenance loop (lease reaping, run timeouts).</summary>
    public MaintenanceOptions Maintenance { get; } = new();

    /// <summary>
    /// Registers the storage back end. Back-end packages call this from their <c>UseX</c> extension; the registration
    /// must add singletons for <see cref="Storage.IOrchestrationStore"/>, <see cref="Storage.IOrchestrationQueries"/> and
    /// <see cref="Storage.IIdentityStore"/>.
    /// </summary>
    /// <param name="name">Name for error messages and logs, e.g. <c>sqlite</c>.</param>
    /// <param name="registration">Adds the store's services.</param>
    public OrchestrationOptions UseStore(string name, Action<IServiceCollection> registration)
    {
        if (StoreRegistration is not null)
            throw new InvalidOperationException($"Orchestration: a store is already configured ({StoreName}); call only one UseX method.");
        StoreName = name;
        StoreRegistration = registration;
        return this;
    }
}

/// <summary>Settings of the leader-only maintenance loop.</summary>
public sealed class MaintenanceOptions
{
    /// <summary>How often expired leases are reaped and run deadlines checked. Default 1 s.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>At most this many rows per pass and kind. Default 1,000.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>False turns the loop off (tests drive the store directly). Default true.</summary>
    public bool Enabled { get; set; } = true;
}
