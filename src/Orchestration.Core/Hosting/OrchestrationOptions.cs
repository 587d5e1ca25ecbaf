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

    /// <summary>How long finished runs and webhook deliveries are kept (<c>Orchestration:Retention</c>).</summary>
    public RetentionOptions Retention { get; } = new();

    /// <summary>
    /// Top-level input fields the store indexes for the runs list's input search (for example <c>["customer", "region"]</c>).
    /// Empty (default): no input is indexed and the enqueue path pays nothing for search; an input search is then refused.
    /// Each declared field costs every enqueue that writes it one index row per run and per task carrying it. A field
    /// added later is backfilled for older runs in the background; a field removed has its index rows deleted at start-up.
    /// Every host sharing one database must declare the same list: the last one to start decides.
    /// </summary>
    public IList<string> SearchableInputFields { get; set; } = new List<string>();

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
    /// <summary>How often expired leases are reaped and run deadlines checked while there is something to do. Default 1 s.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// While passes find nothing to do, the wait between them doubles from <see cref="Interval"/> up to this, and drops
    /// back to <see cref="Interval"/> after a pass that reaped a lease or failed a run, so an idle host costs its database
    /// a few statements every several seconds rather than several a second. It bounds how late an expired lease is
    /// reaped, or a run deadline enforced, on an otherwise idle system. Null (default): ten times
    /// <see cref="Interval"/>, but at most a third of the worker's lease duration (10 s with the defaults).
    /// </summary>
    public TimeSpan? IdleInterval { get; set; }

    /// <summary>
    /// With a store that knows when maintenance is next due (<see cref="Storage.IMaintenanceSchedule"/>: Postgres), an
    /// idle leader sleeps until the earliest lease expiry or run deadline, at most this long; when new work is signalled
    /// meanwhile (its leases and deadlines are not yet known) it wakes no later than <see cref="IdleInterval"/> after
    /// the signal. Never shorter than <see cref="Interval"/>. Default 5 minutes.
    /// </summary>
    public TimeSpan ScheduledIdleInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>At most this many rows per pass and kind. Default 1,000.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>False turns the loop off (tests drive the store directly). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    public string? Validate()
    {
        if (Interval <= TimeSpan.Zero) return "Orchestration: Maintenance.Interval must be positive.";
        if (IdleInterval is { } idle && idle < Interval)
            return $"Orchestration: Maintenance.IdleInterval ({idle}) must not be shorter than Maintenance.Interval ({Interval}).";
        if (BatchSize < 1) return "Orchestration: Maintenance.BatchSize must be at least 1.";
        return null;
    }
}
