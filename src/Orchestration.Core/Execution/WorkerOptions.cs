namespace Orchestration.Execution;

/// <summary>Settings of the in-process executor runtime.</summary>
public sealed class WorkerOptions
{
    /// <summary>False: this host claims nothing (an API-only node). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>At most this many handlers run at once on this host (the per-host limit). Default: 8 per core, at least 16.</summary>
    public int MaxConcurrency { get; set; } = Math.Max(16, Environment.ProcessorCount * 8);

    /// <summary>Upper bound of tasks claimed in one store call. Default 100.</summary>
    public int ClaimBatchSize { get; set; } = 100;

    /// <summary>
    /// How long, by this host's running estimate of handler durations, a claimed task may wait in the host's local
    /// buffer before a handler starts it. With fast handlers the runtime claims up to <see cref="ClaimBatchSize"/>
    /// tasks ahead of its free slots, so claims stay large and the store is called rarely; with slow handlers (an
    /// estimate longer than this window per task) it claims only for free slots, so no host holds work another idle
    /// host could run. <see cref="TimeSpan.Zero"/> turns read-ahead off. Default 20 ms.
    /// </summary>
    public TimeSpan PrefetchWindow { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Upper bound of completions written in one store call. Default 500.</summary>
    public int CompletionBatchSize { get; set; } = 500;

    /// <summary>Lease length; a host that stops heartbeating loses its tasks this long after its last heartbeat. Default 30 s.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often leases of running tasks are extended. Default 10 s (a third of the lease).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Safety poll when idle; wake-ups normally come from the store's signal. Default 2 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Safety poll when idle while the store's wake-up signal is <see cref="Storage.WorkSignal.Reliable"/> (a Postgres
    /// host whose LISTEN connection is up hears every enqueue and promotion of every host): it then only covers what
    /// no notification announces, such as a retry delay of a task failed by a host that died since. Never shorter than
    /// <see cref="PollInterval"/>. Default 60 s.
    /// </summary>
    public TimeSpan ListeningPollInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>On shutdown, how long in-flight handlers may finish before they are cancelled. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a handler may go on after its cancellation token fired (its task timed out, its run was cancelled, its
    /// lease was lost, or shutdown) before the runtime abandons it: the attempt's lease is given up (a timed-out attempt
    /// fails through the lease-fenced path and is retried per policy), its slot is freed for other tasks, a warning names
    /// the task, and whatever the handler reports later is refused by the lease fence. The abandoned handler's code is not
    /// stopped (.NET cannot stop it), so from then on the task may run twice: see docs/engine.md. Zero abandons at once;
    /// <see cref="Timeout.InfiniteTimeSpan"/> never abandons. Default 30 s.
    /// </summary>
    public TimeSpan AbandonGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether leases of handlers still running after the shutdown timeout are given back at once (true) or left to expire. Default true.</summary>
    public bool ReleaseLeasesOnShutdown { get; set; } = true;

    /// <summary>
    /// Holds a log scope naming the run, task and attempt around each whole attempt, so loggers a handler resolves
    /// itself carry them too. Off by default: <see cref="TaskContext.Logger"/> names them in every write anyway, and the
    /// ambient scope costs every task about 180 bytes whether it logs or not.
    /// </summary>
    public bool AmbientLogScope { get; set; }

    /// <summary>Identifies this host in attempts and admin lists. Default: machine name, process id and a random suffix.</summary>
    public string ExecutorId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Only these task types are claimed; null means every type with a registered handler.</summary>
    public IReadOnlyCollection<string>? Types { get; set; }

    /// <summary>Per-type limits on running tasks across every host sharing the store.</summary>
    public Dictionary<string, int> TypeLimits { get; } = new(StringComparer.Ordinal);

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    public string? Validate()
    {
        if (MaxConcurrency < 1) return "Orchestration: Worker.MaxConcurrency must be at least 1.";
        if (ClaimBatchSize < 1) return "Orchestration: Worker.ClaimBatchSize must be at least 1.";
        if (CompletionBatchSize < 1) return "Orchestration: Worker.CompletionBatchSize must be at least 1.";
        if (LeaseDuration <= TimeSpan.Zero) return "Orchestration: Worker.LeaseDuration must be positive.";
        if (HeartbeatInterval <= TimeSpan.Zero || HeartbeatInterval >= LeaseDuration)
            return $"Orchestration: Worker.HeartbeatInterval ({HeartbeatInterval}) must be positive and shorter than Worker.LeaseDuration ({LeaseDuration}); a third of it is a good value.";
        if (PrefetchWindow < TimeSpan.Zero || PrefetchWindow >= LeaseDuration)
            return $"Orchestration: Worker.PrefetchWindow ({PrefetchWindow}) must be zero (off) or positive and shorter than Worker.LeaseDuration ({LeaseDuration}).";
        if (PollInterval <= TimeSpan.Zero) return "Orchestration: Worker.PollInterval must be positive.";
        if (ListeningPollInterval <= TimeSpan.Zero) return "Orchestration: Worker.ListeningPollInterval must be positive.";
        if (AbandonGracePeriod < TimeSpan.Zero && AbandonGracePeriod != Timeout.InfiniteTimeSpan)
            return "Orchestration: Worker.AbandonGracePeriod must not be negative (Timeout.InfiniteTimeSpan never abandons).";
        if (ShutdownTimeout < TimeSpan.Zero) return "Orchestration: Worker.ShutdownTimeout must not be negative.";
        if (string.IsNullOrWhiteSpace(ExecutorId)) return "Orchestration: Worker.ExecutorId must not be empty.";
        foreach (var (type, limit) in TypeLimits)
            if (limit < 1) return $"Orchestration: Worker.TypeLimits[\"{type}\"] must be at least 1.";
        return null;
    }
}
